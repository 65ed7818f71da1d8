#include "cli/nodescmd.h"

#include "cli/connection.h"
#include "core/profilestore.h"
#include "diagnosis/diagnosisjob.h"
#include "mesos/mesosclient.h"
#include "nodes/nodediscovery.h"
#include "nodes/nodefirewalljob.h"
#include "nodes/nodesessionpool.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace pier::cli {

namespace {

using nodes::Node;

QTextStream &nout()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &nerr()
{
    static QTextStream s(stderr);
    return s;
}

int fail(const QString &message, int code = 1)
{
    nerr() << "pier: " << message << "\n";
    nerr().flush();
    return code;
}

// The profile named by --profile, else the active one, else an empty profile (ssh defaults);
// its SOCKS5 proxy overridden by --proxy, else PIER_PROXY.
bool resolveProfile(const QCommandLineParser &parser, Profile *profile, QString *error)
{
    const ProfileStore store;
    QString name = parser.value(QStringLiteral("profile"));
    if (name.isEmpty())
        name = store.activeName();
    ApiError e;
    if (!name.isEmpty() && !store.find(name, profile, &e)) {
        *error = e.toText();
        return false;
    }
    QString proxy = parser.value(QStringLiteral("proxy"));
    if (proxy.isEmpty())
        proxy = qEnvironmentVariable("PIER_PROXY");
    if (!proxy.isEmpty())
        profile->socksProxy = proxy;
    return true;
}

// Mesos: --mesos, PIER_MESOS_URL, the profile's, else Marathon's host on port 5050.
QUrl mesosUrl(const QCommandLineParser &parser, const Profile &profile)
{
    QString text = parser.value(QStringLiteral("mesos"));
    if (text.isEmpty())
        text = qEnvironmentVariable("PIER_MESOS_URL");
    if (text.isEmpty())
        text = profile.mesosUrl;
    if (!text.isEmpty())
        return diagnosis::mesosUrlFromText(text);
    QString marathon = parser.value(QStringLiteral("marathon"));
    if (marathon.isEmpty())
        marathon = qEnvironmentVariable("PIER_MARATHON_URL");
    if (marathon.isEmpty())
        marathon = profile.marathonUrl;
    if (marathon.isEmpty())
        return {};
    QString problem;
    const QUrl url = normalizeMarathonUrl(marathon, &problem);
    return url.isValid() ? diagnosis::defaultMesosUrl(url) : QUrl();
}

struct Discovered {
    QList<Node> nodes;
    QString warning; // Mesos did not answer, unusable entries
};

Discovered discover(const QCommandLineParser &parser, const Profile &profile)
{
    const QUrl url = mesosUrl(parser, profile);
    std::unique_ptr<mesos::MesosClient> client;
    if (url.isValid()) {
        mesos::MesosConfig config;
        config.url = url;
        config.socksProxy = profile.socksProxy;
        client = std::make_unique<mesos::MesosClient>(config);
    }
    nodes::NodeDiscovery d(client.get(), profile.nodes);
    QEventLoop loop;
    QObject::connect(&d, &nodes::NodeDiscovery::finished, &loop, &QEventLoop::quit);
    d.start();
    if (!d.isFinished())
        loop.exec();
    Discovered out;
    out.nodes = d.nodes();
    QStringList w = d.problems();
    if (d.error().isError())
        w.prepend(QStringLiteral("the Mesos master at %1 did not list its nodes: %2")
                      .arg(url.toString(), d.error().toText()));
    else if (!url.isValid())
        w.prepend(QStringLiteral("no Mesos master known (give --mesos URL, PIER_MESOS_URL or a "
                                 "profile with one): only the profile's nodes are listed"));
    out.warning = w.join(QStringLiteral("\npier: "));
    return out;
}

bool isTerminal()
{
    return ::isatty(STDIN_FILENO) && ::isatty(STDERR_FILENO);
}

QString readLine(bool echo)
{
    termios old{};
    const bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
    if (!echo && tty) {
        termios quiet = old;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    QTextStream in(stdin);
    const QString line = in.readLine();
    if (!echo && tty) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
        nerr() << "\n";
    }
    return line;
}

// Questions from a session, asked on the terminal; without one, the answer is no (and says why).
void hookQuestions(nodes::NodeSessionPool *pool)
{
    QObject::connect(
        pool, &nodes::NodeSessionPool::sessionCreated, pool,
        [pool](const Node &node, ssh::SshSession *s) {
            QObject::connect(
                s, &ssh::SshSession::hostKeyUnknown, s, [node, s](const ssh::SshHostKey &k) {
                    nerr() << "The host key of " << node.name << " (" << k.host
                           << ") is not known.\n"
                           << "  " << k.type << " " << k.fingerprint << "\n";
                    if (!isTerminal()) {
                        nerr() << "pier: not accepted: no terminal to ask on. Check the "
                                  "fingerprint with "
                                  "the node's administrator, then run the command from a terminal, "
                                  "or add "
                                  "the key to "
                               << k.knownHostsFile << ".\n";
                        nerr().flush();
                        s->rejectHostKey();
                        return;
                    }
                    nerr() << "Accept it and add it to " << k.knownHostsFile << "? [y/N] ";
                    nerr().flush();
                    const QString answer = readLine(true).trimmed().toLower();
                    if (answer == QLatin1String("y") || answer == QLatin1String("yes"))
                        s->acceptHostKey();
                    else
                        s->rejectHostKey();
                });
            QObject::connect(s, &ssh::SshSession::passphraseNeeded, s,
                             [pool, s](const QString &keyFile, bool wrong) {
                                 if (!isTerminal()) {
                                     s->refusePassphrase();
                                     return;
                                 }
                                 nerr() << (wrong ? "Wrong passphrase. " : "") << "Passphrase for "
                                        << keyFile << ": ";
                                 nerr().flush();
                                 const QString p = readLine(false);
                                 pool->setPassphrase(p); // asked once for every node
                                 s->providePassphrase(p);
                             });
        });
}

} // namespace

int cmdNodes(const QCommandLineParser &parser, const QStringList &args)
{
    if (!args.isEmpty())
        return fail(QStringLiteral("nodes takes no argument.\nTry 'pier --help'."), 2);
    Profile profile;
    QString error;
    if (!resolveProfile(parser, &profile, &error))
        return fail(error);
    const Discovered d = discover(parser, profile);
    if (!d.warning.isEmpty())
        nerr() << "pier: " << d.warning << "\n";
    nerr().flush();
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray a;
        for (const Node &n : d.nodes)
            a.append(n.toJson());
        nout() << QJsonDocument(a).toJson(QJsonDocument::Indented);
    } else {
        int w = 4;
        for (const Node &n : d.nodes)
            w = qMax(w, int(n.name.size()));
        for (const Node &n : d.nodes) {
            nout() << n.name.leftJustified(w + 2)
                   << (n.role.isEmpty() ? QStringLiteral("-") : n.role).leftJustified(8)
                   << n.address.leftJustified(17)
                   << (n.source == Node::Source::Mesos ? QStringLiteral("mesos")
                                                       : QStringLiteral("profile"))
                   << (n.active ? QString() : QStringLiteral(" (inactive)")) << "\n";
        }
    }
    nout().flush();
    return d.nodes.isEmpty() ? 1 : 0;
}

int cmdSsh(const QCommandLineParser &parser, const QStringList &args)
{
    if (args.size() < 2)
        return fail(QStringLiteral("ssh needs a NODE and a COMMAND: pier ssh NODE -- COMMAND.\n"
                                   "Try 'pier --help'."),
                    2);
    Profile profile;
    QString error;
    if (!resolveProfile(parser, &profile, &error))
        return fail(error);
    const Discovered d = discover(parser, profile);
    const Node *node = nodes::findNode(d.nodes, args.first());
    if (!node) {
        QStringList names;
        for (const Node &n : d.nodes)
            names << n.name;
        return fail(
            QStringLiteral("no node \"%1\"%2. Known: %3.")
                .arg(args.first(),
                     d.warning.isEmpty() ? QString() : QStringLiteral(" (") + d.warning + u')',
                     names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", "))));
    }
    nodes::NodeSessionPool pool(profile);
    hookQuestions(&pool);
    ssh::SshSession *s = pool.session(*node);
    // As ssh does: the words joined with spaces, for the remote shell to read.
    ssh::SshCommand *c = s->run(args.mid(1).join(QLatin1Char(' ')));
    QObject::connect(c, &ssh::SshCommand::stdoutData, c, [](const QByteArray &b) {
        std::fwrite(b.constData(), 1, size_t(b.size()), stdout);
        std::fflush(stdout);
    });
    QObject::connect(c, &ssh::SshCommand::stderrData, c, [](const QByteArray &b) {
        std::fwrite(b.constData(), 1, size_t(b.size()), stderr);
        std::fflush(stderr);
    });
    QEventLoop loop;
    QObject::connect(c, &ssh::SshCommand::finished, &loop, &QEventLoop::quit);
    if (!c->isFinished())
        loop.exec();
    const ssh::SshCommandResult r = c->result();
    if (r.status == ssh::SshCommandResult::Status::Exited)
        return r.exitStatus;
    return fail(QStringLiteral("%1: %2").arg(node->name, r.error.isEmpty() ? r.summary() : r.error),
                255);
}

int cmdFirewall(const QCommandLineParser &parser, const QStringList &args)
{
    const QString sub = args.value(0);
    nodes::FirewallRequest request;
    if (sub == QLatin1String("diagnose"))
        request.action = nodes::FirewallAction::Diagnose;
    else if (sub == QLatin1String("open"))
        request.action = nodes::FirewallAction::Open;
    else if (sub == QLatin1String("undo"))
        request.action = nodes::FirewallAction::Undo;
    else
        return fail(QStringLiteral("firewall needs diagnose, open or undo.\nTry 'pier --help'."),
                    2);
    if (args.size() > 1)
        return fail(QStringLiteral("unexpected \"%1\".\nTry 'pier --help'.").arg(args.at(1)), 2);
    if (parser.isSet(QStringLiteral("port"))) {
        bool ok = false;
        const int port = parser.value(QStringLiteral("port")).toInt(&ok);
        if (!ok || port < 1 || port > 65535)
            return fail(QStringLiteral("--port needs a port number from 1 to 65535."), 2);
        request.port = quint16(port);
    }
    for (const char *opt : {"from", "only-to"}) {
        const QString v = parser.value(QLatin1String(opt));
        if (v.isEmpty())
            continue;
        const auto a = firewall::Cidr::parseAddress(v);
        if (!a)
            return fail(QStringLiteral("--%1 needs an IPv4 address, not \"%2\".")
                            .arg(QLatin1String(opt), v),
                        2);
        (qstrcmp(opt, "from") == 0 ? request.from : request.onlyTo) = *a;
    }
    if ((request.onlyTo || parser.isSet(QStringLiteral("persist"))) &&
        request.action != nodes::FirewallAction::Open)
        return fail(QStringLiteral("--only-to and --persist go with firewall open."), 2);
    request.persist = parser.isSet(QStringLiteral("persist"));

    Profile profile;
    QString error;
    if (!resolveProfile(parser, &profile, &error))
        return fail(error);
    const Discovered d = discover(parser, profile);
    if (!d.warning.isEmpty()) {
        nerr() << "pier: " << d.warning << "\n";
        nerr().flush();
    }
    QList<Node> targets = d.nodes;
    const QString only = parser.value(QStringLiteral("node"));
    if (!only.isEmpty()) {
        const Node *n = nodes::findNode(d.nodes, only);
        if (!n)
            return fail(QStringLiteral("no node \"%1\" (see pier nodes).").arg(only));
        targets = {*n};
    }
    if (targets.isEmpty())
        return fail(
            QStringLiteral("no nodes to work on: Mesos listed none and the profile adds none."));

    nodes::NodeSessionPool pool(profile);
    hookQuestions(&pool);
    const bool json = parser.isSet(QStringLiteral("json"));
    QList<nodes::NodeFirewallJob *> jobs;
    int running = 0;
    QEventLoop loop;
    for (const Node &n : std::as_const(targets)) {
        auto *job = new nodes::NodeFirewallJob(pool.session(n), n, request, &pool);
        jobs << job;
        ++running;
        QObject::connect(
            job, &nodes::NodeFirewallJob::finished, &loop,
            [&, job](const nodes::FirewallOutcome &o) {
                if (!json) {
                    nout() << job->node().name << ": " << o.message << "\n";
                    if (o.ok && request.action == nodes::FirewallAction::Diagnose) {
                        for (const QString &line : o.before.text().split(QLatin1Char('\n')))
                            nout() << "  " << line << "\n";
                    }
                    if (o.ok && o.changed && request.action == nodes::FirewallAction::Open) {
                        for (const firewall::FixStep &st : o.plan.steps)
                            nout() << "  added: " << st.viaText() << "\n";
                        nout() << "  " << o.plan.persistence.description() << "\n";
                    }
                    nout().flush();
                }
                if (--running == 0)
                    loop.quit();
            });
    }
    for (auto *job : std::as_const(jobs))
        job->start();
    if (running > 0)
        loop.exec();
    bool allOk = true;
    QJsonArray out;
    for (auto *job : std::as_const(jobs)) {
        allOk = allOk && job->outcome().ok;
        out.append(job->outcome().toJson(job->node(), request.port));
    }
    if (json) {
        nout() << QJsonDocument(out).toJson(QJsonDocument::Indented);
        nout().flush();
    }
    return allOk ? 0 : 1;
}

} // namespace pier::cli
