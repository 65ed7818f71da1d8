// SSH sessions to a loopback OpenSSH sshd: N sessions each running `true`, cold (connect,
// authenticate, run) and warm (run on sessions already open). Prints medians for N = 4, 16, 64.
// Built, not run by ctest: build-dir/tests/bench/bench_ssh [ROUNDS]

#include "ssh/sshsession.h"
#include "ssh/testsshd.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QTextStream>

#include <algorithm>
#include <memory>
#include <vector>

using namespace pier::ssh;

namespace {

// Runs `true` on every session and waits for all; false when one failed.
bool runAll(const std::vector<std::unique_ptr<SshSession>> &sessions, QString *error)
{
    int pending = int(sessions.size());
    bool ok = true;
    for (const auto &s : sessions) {
        SshCommand *cmd = s->run(QStringLiteral("true"), 60000);
        QObject::connect(cmd, &SshCommand::finished, cmd, [&, cmd](const SshCommandResult &r) {
            if (!r.ok()) {
                ok = false;
                *error = r.summary();
            }
            --pending;
            cmd->deleteLater();
        });
    }
    QElapsedTimer t;
    t.start();
    while (pending > 0 && t.elapsed() < 120000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    return ok && pending == 0;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("pier.*.debug=false"));
    const int rounds = argc > 1 ? qMax(1, atoi(argv[1])) : 3;
    QTextStream out(stdout);
    pier::test::TestSshd sshd;
    QString error;
    if (!sshd.start(&error)) {
        out << "cannot start sshd: " << error << Qt::endl;
        return 1;
    }
    SshOptions o;
    o.knownHostsFile = sshd.dir() + QStringLiteral("/known_hosts");
    {
        QFile f(o.knownHostsFile);
        f.open(QIODevice::WriteOnly);
        f.write(QStringLiteral("[127.0.0.1]:%1 ").arg(sshd.port()).toUtf8() +
                pier::test::readAll(sshd.hostKey() + QStringLiteral(".pub")));
    }
    o.globalKnownHostsFile.clear();
    o.configFiles.clear();
    o.agentSocket.clear();
    o.keyFile = sshd.clientKey();
    o.connectTimeoutMs = 60000;

    out << "SSH sessions to a loopback OpenSSH sshd, `true` on each, median of " << rounds
        << " rounds (seconds)\n";
    out << QStringLiteral("%1 %2 %3\n")
               .arg(QStringLiteral("N"), 4)
               .arg(QStringLiteral("cold"), 8)
               .arg(QStringLiteral("warm"), 8);
    for (int n : {4, 16, 64}) {
        std::vector<double> cold, warm;
        for (int r = 0; r < rounds; ++r) {
            std::vector<std::unique_ptr<SshSession>> sessions;
            QElapsedTimer t;
            t.start();
            for (int i = 0; i < n; ++i) {
                sessions.push_back(std::make_unique<SshSession>());
                sessions.back()->connectToHost(QStringLiteral("127.0.0.1"), sshd.port(),
                                               pier::test::localUser(), o);
            }
            if (!runAll(sessions, &error)) {
                out << "cold run failed: " << error << Qt::endl;
                return 1;
            }
            cold.push_back(t.elapsed() / 1000.0);
            t.restart();
            if (!runAll(sessions, &error)) {
                out << "warm run failed: " << error << Qt::endl;
                return 1;
            }
            warm.push_back(t.elapsed() / 1000.0);
        }
        out << QStringLiteral("%1 %2 %3\n")
                   .arg(n, 4)
                   .arg(median(cold), 8, 'f', 3)
                   .arg(median(warm), 8, 'f', 3)
            << Qt::flush;
    }
    return 0;
}
