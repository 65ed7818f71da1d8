#include "sandbox/sandboxmain.h"

#include "core/logging.h"
#include "sandbox/marathonserver.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTextStream>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace pier::sandbox {

namespace {

int g_signalFd[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    // Only async-signal-safe work here: wake the event loop through the socket pair.
    [[maybe_unused]] const ssize_t n = ::write(g_signalFd[0], &c, 1);
}

} // namespace

int runMarathonServer(const QStringList &args)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    if (!QCoreApplication::instance()) {
        err << "runMarathonServer: no QCoreApplication\n";
        return 2;
    }

    MarathonServer::Options options;
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 8080;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        const QString value = args.value(i + 1);
        if (a == u"--port"_s) {
            bool ok = false;
            const uint p = value.toUInt(&ok);
            if (!ok || p > 65535) {
                err << "invalid --port: " << value << '\n';
                return 2;
            }
            port = quint16(p);
            ++i;
        } else if (a == u"--listen"_s) {
            if (!address.setAddress(value)) {
                err << "invalid --listen address: " << value << '\n';
                return 2;
            }
            ++i;
        } else if (a == u"--flavor"_s) {
            if (value == u"legacy"_s) {
                options.flavor = MarathonServer::Flavor::Legacy;
            } else if (value == u"modern"_s) {
                options.flavor = MarathonServer::Flavor::Modern;
            } else {
                err << "invalid --flavor (modern or legacy): " << value << '\n';
                return 2;
            }
            ++i;
        } else if (a == u"--user"_s) {
            const qsizetype colon = value.indexOf(u':');
            if (colon <= 0) {
                err << "--user wants NAME:PASSWORD\n";
                return 2;
            }
            options.username = value.left(colon);
            options.password = value.mid(colon + 1);
            ++i;
        } else {
            err << "unknown option: " << a << '\n';
            return 2;
        }
    }

    MarathonServer server(options);
    if (!server.listen(address, port)) {
        err << "cannot listen on " << address.toString() << ':' << port << ": "
            << server.errorString() << '\n';
        return 1;
    }
    out << "Marathon API: " << server.url().toString() << '\n';
    out.flush();

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFd) != 0) {
        err << "socketpair failed\n";
        return 1;
    }
    QSocketNotifier notifier(g_signalFd[1], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, [] {
        char c = 0;
        [[maybe_unused]] const ssize_t n = ::read(g_signalFd[1], &c, 1);
        QCoreApplication::quit();
    });
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    struct sigaction oldInt = {}, oldTerm = {};
    sigaction(SIGINT, &sa, &oldInt);
    sigaction(SIGTERM, &sa, &oldTerm);

    const int rc = QCoreApplication::exec();

    sigaction(SIGINT, &oldInt, nullptr);
    sigaction(SIGTERM, &oldTerm, nullptr);
    notifier.setEnabled(false);
    ::close(g_signalFd[0]);
    ::close(g_signalFd[1]);
    g_signalFd[0] = g_signalFd[1] = -1;
    qCInfo(lcSandbox) << "Marathon API stopped";
    return rc;
}

} // namespace pier::sandbox
