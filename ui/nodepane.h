#pragma once

#include "ui/commandlog.h"

#include <QFrame>
#include <QPointer>
#include <QString>

class QLabel;
class QProgressBar;
class QPushButton;

namespace pier::ssh {
class SshSession;
struct SshHostKey;
enum class SshState;
} // namespace pier::ssh

namespace pier::ui {

// One node on the Nodes page: its name and address, the SSH connection and host-key state, the
// running action with its progress, the last firewall verdict in words, the buttons for this
// node, and the log of every command it ran. It shows what it is told and says what the user
// asked for through signals; the Nodes view does the work.
class NodePane : public QFrame {
    Q_OBJECT
public:
    enum class HostKey { Unchecked, Known, Unknown, Accepted, Rejected, Changed };
    enum class Outcome { None, Running, Succeeded, Failed };

    NodePane(const QString &name, const QString &address, QWidget *parent = nullptr);

    QString name() const { return m_name; }
    QString address() const { return m_address; }
    CommandLog *log() const { return m_log; }

    // Follows SESSION's state and host-key questions (the view answers passphrases).
    void attachSession(ssh::SshSession *session);
    ssh::SshSession *session() const;

    void setPort(int port);
    void setSelected(bool selected);
    bool isSelected() const { return m_selected; }

    // The running action: "Opening port 80: adding the ACCEPT rule" with DONE of TOTAL steps
    // (TOTAL 0: busy without a known length).
    void setActionProgress(const QString &text, int done, int total);
    // TEXT also goes to the log unless the action logged its end itself.
    void setActionFinished(bool ok, const QString &text, bool addToLog = true);
    bool isBusy() const { return m_outcome == Outcome::Running; }
    Outcome outcome() const { return m_outcome; }

    // The firewall's answer for the port, in words and colour: VERDICT is "accepted", "blocked"
    // or "unknown"; RULE the deciding rule ("INPUT rule 5: -A INPUT -j REJECT → REJECT").
    void setVerdict(const QString &verdict, const QString &rule, const QString &reason);

    // For tests and screen readers: what the labels say.
    QString connectionText() const;
    QString hostKeyText() const;
    QString actionText() const;
    QString verdictText() const;
    HostKey hostKey() const { return m_hostKey; }

signals:
    void diagnoseClicked();
    void openClicked();
    void undoClicked();
    void retryClicked();
    void activated(); // clicked or focused: the node the command box runs on

protected:
    void mousePressEvent(QMouseEvent *event) override;
    void focusInEvent(QFocusEvent *event) override;

private:
    void onStateChanged(ssh::SshState state, const QString &reason);
    void onHostKeyUnknown(const ssh::SshHostKey &key);
    void setHostKey(HostKey state, const QString &text);
    void updateButtons();
    void updateFrame();

    QString m_name, m_address;
    QPointer<ssh::SshSession> m_session;
    bool m_selected = false;
    bool m_connected = false;
    bool m_failed = false;
    HostKey m_hostKey = HostKey::Unchecked;
    Outcome m_outcome = Outcome::None;

    QLabel *m_title = nullptr;
    QLabel *m_connection = nullptr;
    QLabel *m_hostKeyLabel = nullptr;
    QPushButton *m_acceptKey = nullptr;
    QPushButton *m_rejectKey = nullptr;
    QLabel *m_action = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_verdict = nullptr;
    QPushButton *m_diagnose = nullptr;
    QPushButton *m_open = nullptr;
    QPushButton *m_undo = nullptr;
    QPushButton *m_retry = nullptr;
    CommandLog *m_log = nullptr;
};

} // namespace pier::ui
