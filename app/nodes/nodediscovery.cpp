#include "nodes/nodediscovery.h"

#include "mesos/mesosclient.h"

namespace pier::nodes {

NodeDiscovery::NodeDiscovery(mesos::MesosClient *client, const QStringList &profileNodes,
                             QObject *parent)
    : QObject(parent), m_client(client), m_profileNodes(profileNodes)
{
}

NodeDiscovery::~NodeDiscovery()
{
    if (m_reply)
        m_reply->deleteLater();
}

void NodeDiscovery::start()
{
    if (!m_client) {
        complete({});
        return;
    }
    m_reply = m_client->state();
    connect(m_reply, &mesos::MesosReply::finished, this, [this] {
        mesos::MesosReply *r = m_reply;
        QList<Node> fromMesos;
        if (!r->error().isError()) {
            m_mesosAnswered = true;
            fromMesos = nodesFromMesos(r->state());
            // A hostname that could reach a shell is not used as an SSH target either.
            for (auto it = fromMesos.begin(); it != fromMesos.end();) {
                if (!isUsableHost(it->address)) {
                    m_problems << QStringLiteral(
                                      "Mesos lists a node \"%1\" whose address \"%2\" "
                                      "is not a host name or IP address; it is left out.")
                                      .arg(it->name, it->address);
                    it = fromMesos.erase(it);
                } else {
                    ++it;
                }
            }
        } else {
            m_error = r->error();
        }
        r->deleteLater();
        complete(fromMesos);
    });
}

void NodeDiscovery::complete(const QList<Node> &fromMesos)
{
    m_nodes = mergeNodes(fromMesos, nodesFromProfile(m_profileNodes, &m_problems));
    m_finished = true;
    emit finished();
}

} // namespace pier::nodes
