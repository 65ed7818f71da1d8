#include "ui/jsondiffdialog.h"

#include "ui/accents.h"
#include "ui/jsondiff.h"
#include "ui/messagebox.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTextBlock>
#include <QTextCursor>
#include <QVBoxLayout>

namespace pier::ui {

JsonDiffDialog::JsonDiffDialog(QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Changes"));
    resize(760, 560);
    auto *layout = new QVBoxLayout(this);

    m_intro = new QLabel(this);
    m_intro->setWordWrap(true);
    m_intro->setVisible(false);
    layout->addWidget(m_intro);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("diffSummary"));
    layout->addWidget(m_summary);

    m_view = new QPlainTextEdit(this);
    m_view->setObjectName(QStringLiteral("diffView"));
    m_view->setReadOnly(true);
    m_view->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    layout->addWidget(m_view, 1);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(m_buttons);
}

void JsonDiffDialog::setTexts(const QString &before, const QString &after,
                              const QString &beforeName, const QString &afterName)
{
    m_diff = unifiedDiff(before, after, beforeName, afterName);
    m_view->clear();
    if (m_diff.isEmpty()) {
        m_summary->setText(
            tr("No differences: %1 and %2 have the same content.").arg(beforeName, afterName));
        return;
    }

    int added = 0, removed = 0;
    QTextCursor cursor(m_view->document());
    const QStringList lines = splitLines(m_diff);
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QString &line = lines[i];
        QTextBlockFormat block;
        QTextCharFormat chars;
        // The file header lines start with the same characters as changes; skip them.
        const bool header = i < 2;
        if (!header && line.startsWith(QLatin1Char('+'))) {
            block.setBackground(addedBackground());
            ++added;
        } else if (!header && line.startsWith(QLatin1Char('-'))) {
            block.setBackground(removedBackground());
            ++removed;
        } else if (header || line.startsWith(QLatin1String("@@"))) {
            chars.setFontWeight(QFont::Bold);
        }
        if (i > 0)
            cursor.insertBlock();
        cursor.setBlockFormat(block);
        cursor.insertText(line, chars);
    }
    m_view->moveCursor(QTextCursor::Start);
    m_summary->setText(tr("Lines added (+): %1. Lines removed (-): %2.").arg(added).arg(removed));
}

void JsonDiffDialog::setConfirmation(const QString &acceptText)
{
    m_buttons->setStandardButtons(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    m_buttons->button(QDialogButtonBox::Ok)->setText(acceptText);
    m_buttons->button(QDialogButtonBox::Cancel)->setDefault(true);
}

bool JsonDiffDialog::confirm(QWidget *parent, const QString &title, const QString &intro,
                             const QString &before, const QString &after, const QString &beforeName,
                             const QString &afterName, const QString &acceptText)
{
    if (const MessageBox::Button preset = MessageBox::noteQuestion(title);
        preset != MessageBox::NoButton)
        return preset == MessageBox::Yes;
    JsonDiffDialog dialog(parent);
    dialog.setWindowTitle(title);
    dialog.m_intro->setText(intro);
    dialog.m_intro->setVisible(!intro.isEmpty());
    dialog.setTexts(before, after, beforeName, afterName);
    dialog.setConfirmation(acceptText);
    return dialog.exec() == QDialog::Accepted;
}

} // namespace pier::ui
