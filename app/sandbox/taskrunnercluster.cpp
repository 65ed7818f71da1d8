// TaskRunner::forCluster and HaproxyBridge::forCluster: the sandbox network's layout (cluster.h)
// turned into the runner's agents and the bridge's nodes.

#include "sandbox/cluster.h"
#include "sandbox/haproxybridge.h"
#include "sandbox/taskrunner.h"

using namespace Qt::StringLiterals;

namespace pier::sandbox {

std::shared_ptr<TaskRunner> TaskRunner::forCluster(const ClusterStatus &status)
{
    Options o;
    o.stateDir = status.stateDir;
    o.clusterName = status.clusterName;
    for (const ClusterNode &n : status.nodes) {
        if (n.role == u"master"_s) {
            o.probeNetns = n.netns;
            o.masterAddress = n.address;
            o.masterHostname = n.name;
        } else {
            o.agents.append({n.name, n.address, n.netns, n.mntnsFile});
        }
    }
    return std::make_shared<TaskRunner>(o);
}

std::unique_ptr<HaproxyBridge> HaproxyBridge::forCluster(const ClusterStatus &status,
                                                         const QUrl &marathon, QObject *parent)
{
    Options o;
    o.marathon = marathon;
    o.stateDir = status.stateDir;
    for (const ClusterNode &n : status.nodes) {
        o.nodes.append({n.name, n.netns, n.mntnsFile});
        o.hostAddresses.insert(n.name, n.address);
        if (n.role == u"master"_s)
            o.fetchNetns = n.netns;
    }
    return std::make_unique<HaproxyBridge>(o, parent);
}

} // namespace pier::sandbox
