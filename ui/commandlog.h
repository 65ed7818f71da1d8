#pragma once

#include <QByteArray>
#include <QString>
#include <QWidget>

class QPlainTextEdit;
class QPushButton;

namespace pier::ui {

// A node's log: every command with a timestamp and its output as it streams, stdout and stderr
// told apart by a marker ("│" / "!") as well as by colour, with Copy, Save… and Clear.
class CommandLog : public QWidget {
    Q_OBJECT
public:
    enum class Kind {
        Command, // "$ iptables -S"
        Stdout,
        Stderr,
        Info,    // what Pier does or found, in words
        Ok,      // a success, in the ok accent
        Problem, // a failure, in the error accent
    };

    explicit CommandLog(QWidget *parent = nullptr);

    // Whole lines; a text with newlines becomes several lines, each with the time.
    void append(Kind kind, const QString &text);
    // Streamed output: split into lines, a trailing partial line waits for the rest (or flush()).
    void appendOutput(Kind kind, const QByteArray &data);
    void flush();

    QString text() const; // what Copy copies and Save writes
    bool saveTo(const QString &path, QString *error = nullptr) const;
    void clear();

    // The file Save… writes when set (tests); otherwise it asks with a file dialog.
    void setSaveTarget(const QString &path) { m_saveTarget = path; }
    void copyToClipboard() const;
    void save();

private:
    void appendLine(Kind kind, const QString &line);

    QPlainTextEdit *m_view = nullptr;
    QByteArray m_pendingOut, m_pendingErr;
    QString m_saveTarget;
};

} // namespace pier::ui
