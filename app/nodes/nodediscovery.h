#pragma once

// Finds the cluster's nodes: asks the Mesos master for its agents (/master/state, or state.json on
// old masters) and adds the profile's hand-added nodes. When Mesos does not answer, the profile's
// nodes still come back, with the error saying why the others are missing.

#include "core/apierror.h"
#include "nodes/node.h"

#include <QObject>
#include <QPointer>

namespace pier::mesos {
class MesosClient;
class MesosReply;
} // namespace pier::mesos

namespace pier::nodes {

class NodeDiscovery : public QObject {
    Q_OBJECT
public:
    // CLIENT may be null (no Mesos configured): then only PROFILE_NODES.
    NodeDiscovery(mesos::MesosClient *client, const QStringList &profileNodes,
                  QObject *parent = nullptr);
    ~NodeDiscovery() override;

    void start(); // finished() is emitted exactly once, possibly before start() returns
    bool isFinished() const { return m_finished; }
    QList<Node> nodes() const { return m_nodes; }
    // Mesos's error, if it was asked and failed (then nodes() holds the profile's only).
    const ApiError &error() const { return m_error; }
    bool mesosAnswered() const { return m_mesosAnswered; }
    QStringList problems() const { return m_problems; } // unusable profile entries

signals:
    void finished();

private:
    void complete(const QList<Node> &fromMesos);

    QPointer<mesos::MesosClient> m_client;
    QPointer<mesos::MesosReply> m_reply;
    QStringList m_profileNodes;
    QList<Node> m_nodes;
    QStringList m_problems;
    ApiError m_error;
    bool m_mesosAnswered = false;
    bool m_finished = false;
};

} // namespace pier::nodes
