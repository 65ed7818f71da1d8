#include "nodes/nodesessionpool.h"

#include "ssh/sshprofile.h"

namespace pier::nodes {

NodeSessionPool::NodeSessionPool(const Profile &profile, QObject *parent)
    : QObject(parent), m_profile(profile), m_options(ssh::sshOptionsFor(profile)),
      m_user(profile.sshUser), m_port(ssh::sshPortFor(profile))
{
    // The profile may write the proxy as a URL ("socks5h://127.0.0.1:1080"); SSH wants host:port.
    QString &proxy = m_options.socksProxy;
    for (const char *scheme : {"socks5h://", "socks5://"}) {
        if (proxy.startsWith(QLatin1String(scheme), Qt::CaseInsensitive))
            proxy = proxy.mid(int(qstrlen(scheme)));
    }
    if (proxy.endsWith(QLatin1Char('/')))
        proxy.chop(1);
}

NodeSessionPool::~NodeSessionPool()
{
    closeAll();
}

ssh::SshSession *NodeSessionPool::existing(const QString &name) const
{
    return m_sessions.value(name).data();
}

ssh::SshSession *NodeSessionPool::session(const Node &node)
{
    ssh::SshSession *s = existing(node.name);
    if (s && m_addresses.value(node.name) == node.address) {
        const ssh::SshState st = s->state();
        if (st == ssh::SshState::Failed || st == ssh::SshState::Closed)
            s->connectToHost(node.address, m_port, m_user, m_options);
        return s;
    }
    return reconnect(node);
}

ssh::SshSession *NodeSessionPool::reconnect(const Node &node)
{
    close(node.name);
    auto *s = new ssh::SshSession(this);
    m_sessions.insert(node.name, s);
    m_addresses.insert(node.name, node.address);
    const QString name = node.name;
    connect(s, &ssh::SshSession::stateChanged, this,
            [this, name](ssh::SshState state, const QString &reason) {
                emit stateChanged(name, state, reason);
            });
    emit sessionCreated(node, s);
    s->connectToHost(node.address, m_port, m_user, m_options);
    return s;
}

void NodeSessionPool::close(const QString &name)
{
    if (QPointer<ssh::SshSession> s = m_sessions.take(name)) {
        s->close();
        s->deleteLater();
    }
    m_addresses.remove(name);
}

void NodeSessionPool::closeAll()
{
    const QStringList all = m_sessions.keys();
    for (const QString &name : all) {
        if (QPointer<ssh::SshSession> s = m_sessions.take(name))
            delete s.data(); // the destructor stops the worker; deleteLater may never run now
    }
    m_addresses.clear();
}

} // namespace pier::nodes
