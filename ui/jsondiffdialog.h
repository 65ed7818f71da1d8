#pragma once

#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QDialogButtonBox;

namespace pier::ui {

// Shows a unified diff between two texts, each changed line marked with +/- and a background.
class JsonDiffDialog : public QDialog {
    Q_OBJECT
public:
    explicit JsonDiffDialog(QWidget *parent = nullptr);

    void setTexts(const QString &before, const QString &after, const QString &beforeName,
                  const QString &afterName);
    QString diffText() const { return m_diff; }
    // Turns the dialog into a confirmation: `acceptText` on the accepting button, plus Cancel.
    void setConfirmation(const QString &acceptText);

    // Shows the diff and asks to go ahead; true when accepted. Honours MessageBox's pre-set
    // answer (Yes/No) so tests need no dialog.
    static bool confirm(QWidget *parent, const QString &title, const QString &intro,
                        const QString &before, const QString &after, const QString &beforeName,
                        const QString &afterName, const QString &acceptText);

private:
    QLabel *m_intro;
    QLabel *m_summary;
    QPlainTextEdit *m_view;
    QDialogButtonBox *m_buttons;
    QString m_diff;
};

} // namespace pier::ui
