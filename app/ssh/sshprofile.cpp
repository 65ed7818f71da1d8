#include "ssh/sshprofile.h"

namespace pier::ssh {

SshOptions sshOptionsFor(const Profile &profile)
{
    SshOptions o;
    o.keyFile = profile.sshKeyFile;
    if (!profile.sshKnownHosts.isEmpty())
        o.knownHostsFile = profile.sshKnownHosts;
    o.socksProxy = profile.socksProxy;
    return o;
}

int sshPortFor(const Profile &profile)
{
    return profile.sshPort == 22 ? 0 : profile.sshPort;
}

} // namespace pier::ssh
