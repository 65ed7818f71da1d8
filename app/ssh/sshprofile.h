#pragma once

// A profile's SSH settings as session options: key file, known_hosts, SOCKS5 proxy.

#include "core/profile.h"
#include "ssh/sshtypes.h"

namespace pier::ssh {

// The options for the profile's nodes. The key's passphrase is not in the profile: put it in
// SshOptions::passphrase from the keychain, if the user stored one.
SshOptions sshOptionsFor(const Profile &profile);

// The port to pass to SshSession::connectToHost(): 0 (the ssh config's Port, else 22) when the
// profile keeps the default 22, as `ssh` without -p would.
int sshPortFor(const Profile &profile);

} // namespace pier::ssh
