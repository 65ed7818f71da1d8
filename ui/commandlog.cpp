#include "ui/commandlog.h"

#include "ui/accents.h"
#include "ui/messagebox.h"

#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QFileDialog>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCharFormat>
#include <QVBoxLayout>

namespace pier::ui {

CommandLog::CommandLog(QWidget *parent) : QWidget(parent)
{
    auto *v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(4);
    m_view = new QPlainTextEdit(this);
    m_view->setObjectName(QStringLiteral("logView"));
    m_view->setReadOnly(true);
    // One line per entry: long rules scroll sideways instead of pushing the commands out of view.
    m_view->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_view->setMaximumBlockCount(20000); // a runaway command must not eat the memory
    m_view->setAccessibleName(tr("Command log"));
    v->addWidget(m_view, 1);

    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(4);
    buttons->addStretch(1);
    const auto button = [this, buttons](const QString &text, const QString &name,
                                        const QString &tip) {
        auto *b = new QPushButton(text, this);
        b->setObjectName(name);
        b->setToolTip(tip);
        b->setAutoDefault(false);
        buttons->addWidget(b);
        return b;
    };
    connect(button(tr("Copy"), QStringLiteral("logCopy"), tr("Copy the whole log")),
            &QPushButton::clicked, this, &CommandLog::copyToClipboard);
    connect(button(tr("Save…"), QStringLiteral("logSave"), tr("Save the log to a text file")),
            &QPushButton::clicked, this, &CommandLog::save);
    connect(button(tr("Clear"), QStringLiteral("logClear"), tr("Empty the log")),
            &QPushButton::clicked, this, &CommandLog::clear);
    v->addLayout(buttons);
}

void CommandLog::append(Kind kind, const QString &text)
{
    flush();
    QString t = text;
    if (t.endsWith(QLatin1Char('\n')))
        t.chop(1);
    for (const QString &line : t.split(QLatin1Char('\n')))
        appendLine(kind, line);
}

void CommandLog::appendOutput(Kind kind, const QByteArray &data)
{
    QByteArray &pending = kind == Kind::Stderr ? m_pendingErr : m_pendingOut;
    pending += data;
    int nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
        appendLine(kind, QString::fromUtf8(pending.left(nl)));
        pending.remove(0, nl + 1);
    }
}

void CommandLog::flush()
{
    if (!m_pendingOut.isEmpty())
        appendLine(Kind::Stdout, QString::fromUtf8(std::exchange(m_pendingOut, {})));
    if (!m_pendingErr.isEmpty())
        appendLine(Kind::Stderr, QString::fromUtf8(std::exchange(m_pendingErr, {})));
}

void CommandLog::appendLine(Kind kind, const QString &line)
{
    // The marker says which stream a line is from, for copies and for those who do not see
    // the colour.
    QString marker;
    switch (kind) {
    case Kind::Command:
        marker = QStringLiteral("$ ");
        break;
    case Kind::Stdout:
        marker = QStringLiteral("│ ");
        break;
    case Kind::Stderr:
        marker = QStringLiteral("! ");
        break;
    case Kind::Info:
    case Kind::Ok:
    case Kind::Problem:
        marker = QStringLiteral("# ");
        break;
    }
    QString clean = line;
    clean.remove(QLatin1Char('\r'));
    const QString stamp = QTime::currentTime().toString(QStringLiteral("HH:mm:ss"));

    QTextCharFormat stampFormat;
    stampFormat.setForeground(palette().color(QPalette::PlaceholderText));
    QTextCharFormat format;
    if (kind == Kind::Command)
        format.setFontWeight(QFont::Bold);
    else if (kind == Kind::Stderr || kind == Kind::Problem)
        format.setForeground(errorColor(palette()));
    else if (kind == Kind::Ok)
        format.setForeground(okColor(palette()));
    else if (kind == Kind::Info)
        format.setForeground(palette().color(QPalette::PlaceholderText));

    QScrollBar *bar = m_view->verticalScrollBar();
    const bool atEnd = bar->value() >= bar->maximum() - 2;
    QTextCursor c(m_view->document());
    c.movePosition(QTextCursor::End);
    if (!m_view->document()->isEmpty())
        c.insertBlock();
    c.insertText(stamp + QLatin1Char(' '), stampFormat);
    c.insertText(marker + clean, format);
    if (atEnd)
        bar->setValue(bar->maximum());
}

QString CommandLog::text() const
{
    return m_view->toPlainText();
}

bool CommandLog::saveTo(const QString &path, QString *error) const
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) {
        if (error)
            *error = f.errorString();
        return false;
    }
    f.write(text().toUtf8() + '\n');
    if (!f.commit()) {
        if (error)
            *error = f.errorString();
        return false;
    }
    return true;
}

void CommandLog::clear()
{
    m_pendingOut.clear();
    m_pendingErr.clear();
    m_view->clear();
}

void CommandLog::copyToClipboard() const
{
    QApplication::clipboard()->setText(text());
}

void CommandLog::save()
{
    flush();
    QString path = m_saveTarget;
    if (path.isEmpty())
        path = QFileDialog::getSaveFileName(this, tr("Save Log"), QString(),
                                            tr("Text files (*.txt *.log);;All files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!saveTo(path, &error)) {
        MessageBox::Question q;
        q.icon = QMessageBox::Warning;
        q.title = tr("Save Log");
        q.text = tr("Could not save the log to %1: %2. Choose another place.").arg(path, error);
        q.buttons = {MessageBox::Ok};
        q.defaultButton = MessageBox::Ok;
        q.escapeButton = MessageBox::Ok;
        MessageBox::ask(this, q);
    }
}

} // namespace pier::ui
