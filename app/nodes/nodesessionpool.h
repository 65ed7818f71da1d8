#pragma once

// One SSH session per node, opened on first use and kept open, so a second action on a node (or
// on all of them) needs no new handshake. Sessions take the profile's SSH settings (user, port,
// key, known_hosts, SOCKS5 proxy).
//
// Questions for the user (an unknown host key, a key's passphrase) come from each session: connect
// to sessionCreated() to hook them before the session starts connecting. A passphrase given once
// through setPassphrase() is tried first by every session opened afterwards.

#include "core/profile.h"
#include "nodes/node.h"
#include "ssh/sshsession.h"
#include "ssh/sshtypes.h"

#include <QHash>
#include <QObject>
#include <QPointer>

namespace pier::nodes {

class NodeSessionPool : public QObject {
    Q_OBJECT
public:
    explicit NodeSessionPool(const Profile &profile, QObject *parent = nullptr);
    ~NodeSessionPool() override;

    const Profile &profile() const { return m_profile; }
    // The options every new session gets (from the profile; change them before the first use).
    ssh::SshOptions options() const { return m_options; }
    void setOptions(const ssh::SshOptions &options) { m_options = options; }
    QString user() const { return m_user; } // empty: from the ssh config, else the local user
    int port() const { return m_port; }     // 0: from the ssh config, else 22
    void setPassphrase(const QString &passphrase) { m_options.passphrase = passphrase; }

    // NODE's session, opened if there is none; a session that Failed or was Closed is connected
    // again (that is the retry). Owned by the pool.
    ssh::SshSession *session(const Node &node);
    // The session of the node named NAME if there is one, else nullptr (opens nothing).
    ssh::SshSession *existing(const QString &name) const;
    // Drops NODE's session (if any) and opens a new one.
    ssh::SshSession *reconnect(const Node &node);
    void close(const QString &name);
    void closeAll();
    QStringList names() const { return m_sessions.keys(); }

signals:
    // Before the session starts connecting: hook hostKeyUnknown / passphraseNeeded here.
    void sessionCreated(const pier::nodes::Node &node, pier::ssh::SshSession *session);
    void stateChanged(const QString &nodeName, pier::ssh::SshState state, const QString &reason);

private:
    Profile m_profile;
    ssh::SshOptions m_options;
    QString m_user;
    int m_port = 0;
    QHash<QString, QPointer<ssh::SshSession>> m_sessions;
    QHash<QString, QString> m_addresses; // name -> address the session was opened to
};

} // namespace pier::nodes
