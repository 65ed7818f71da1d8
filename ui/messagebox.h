#pragma once

#include <QCoreApplication>
#include <QMap>
#include <QMessageBox>
#include <QString>

class QWidget;

namespace pier::ui {

// Every question the GUI asks goes through here, so a test can pre-set the answer instead of
// facing a modal dialog (the pattern of KeePassXC's MessageBox).
class MessageBox {
    Q_DECLARE_TR_FUNCTIONS(MessageBox)
public:
    enum Button { NoButton, Save, Discard, Cancel, Yes, No, Ok };

    struct Question {
        QMessageBox::Icon icon = QMessageBox::Question;
        QString title;
        QString text;
        QString informativeText;
        QList<Button> buttons;
        Button defaultButton = NoButton;
        Button escapeButton = Cancel;
        QMap<Button, QString> buttonText; // e.g. Yes -> "Force launch"
    };

    static Button ask(QWidget *parent, const Question &question);

    // Tests: the answer the next question gets without showing a dialog (used once). Calls
    // queue up, so a test can answer a sequence ("update? yes", then "force? yes").
    static void setNextAnswer(Button answer);
    static void clearAnswers();
    // For questions asked by other dialogs (the update diff): counts the question and takes
    // the pre-set answer, NoButton when none.
    static Button noteQuestion(const QString &text);
    // Takes the pre-set answer without counting a question.
    static Button takeNextAnswer();
    // Tests: the text of the last question asked, and how many were asked.
    static QString lastQuestion();
    static int questionCount();
};

} // namespace pier::ui
