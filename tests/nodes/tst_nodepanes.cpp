// The Nodes page against the sandbox: four real nodes (sshd, iptables in their own namespaces),
// reached through a SOCKS5 relay into the "vpn" namespace as a laptop on the VPN would. Opens
// port 80 on all of them from the page and checks it from the internet side.
#include "core/profile.h"
#include "marathon/appdefinition.h"
#include "nodes/node.h"
#include "sandbox/cluster.h"
#include "sandbox/netns.h"
#include "sandbox/socksproxy.h"
#include "ui/appeditor.h"
#include "ui/commandlog.h"
#include "ui/mainwindow.h"
#include "ui/nodepane.h"
#include "ui/nodesview.h"
#include "ui/passphraseprompt.h"

#include <QComboBox>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>

#include <unistd.h>

using namespace pier;
using namespace Qt::StringLiterals;

class TestNodePanes : public QObject {
    Q_OBJECT
    QTemporaryDir m_home;
    std::unique_ptr<sandbox::Cluster> m_cluster;
    sandbox::ClusterStatus m_status;
    std::unique_ptr<sandbox::SocksProxy> m_proxy;
    QList<int> m_listeners;

    // PIER_SCREENSHOT_DIR set: saves what the user sees (resources/screenshots come from here).
    static void screenshot(QWidget *w, const QString &name)
    {
        const QString dir = qEnvironmentVariable("PIER_SCREENSHOT_DIR");
        if (dir.isEmpty())
            return;
        QTest::qWait(300);
        QVERIFY(w->grab().save(dir + QLatin1Char('/') + name));
    }

    Profile profile() const
    {
        Profile p;
        p.name = u"panes-test"_s;
        p.sshUser = m_status.sshUser;
        p.sshKeyFile = m_status.sshKeyFile;
        p.sshKnownHosts = m_status.knownHostsFile;
        p.socksProxy = u"127.0.0.1:%1"_s.arg(m_proxy->port());
        return p;
    }

    QList<nodes::Node> sandboxNodes(const QList<int> &indexes) const
    {
        QList<nodes::Node> list;
        for (int i : indexes) {
            nodes::Node node;
            node.name = m_status.nodes.at(i).name;
            node.address = m_status.nodes.at(i).address;
            node.role = m_status.nodes.at(i).role;
            list << node;
        }
        return list;
    }

    static QByteArray run(const QString &program, const QStringList &args)
    {
        const sandbox::ProcessResult r = sandbox::runProcess(program, args);
        if (!r.ok())
            qWarning() << r.errorText();
        return r.out;
    }

private slots:
    void initTestCase()
    {
        if (::geteuid() != 0)
            QSKIP("needs root: the sandbox's nodes live in network namespaces (run as root, as CI "
                  "does)");
        const QString missing = sandbox::Cluster::missingPrerequisites();
        if (!missing.isEmpty())
            QSKIP(qPrintable(missing));
        // Never the user's ssh config, keys or agent.
        qputenv("HOME", m_home.path().toUtf8());
        qputenv("XDG_CONFIG_HOME", (m_home.path() + u"/config"_s).toUtf8());
        qunsetenv("SSH_AUTH_SOCK");

        const QString id = u"panes%1"_s.arg(QRandomGenerator::global()->bounded(100000, 999999));
        m_cluster = std::make_unique<sandbox::Cluster>(id);
        sandbox::ClusterOptions options;
        options.agents = 3;
        QString error;
        QCOMPARE_NE(m_cluster->up(options, &error), sandbox::Cluster::UpResult::Failed);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        auto status = m_cluster->status(&error);
        QVERIFY2(status, qPrintable(error));
        m_status = *status;
        QCOMPARE(m_status.nodes.size(), 4);

        // The laptop on the VPN: internal addresses are reached from the sandbox's vpn namespace.
        sandbox::SocksProxy::Options po;
        po.routes << sandbox::SocksProxy::Route{QHostAddress::parseSubnet(m_status.internalRange),
                                                m_status.vpnNetns};
        m_proxy = std::make_unique<sandbox::SocksProxy>(po);
        QVERIFY2(m_proxy->listen(), qPrintable(m_proxy->errorString()));

        // Something listening on port 80 on every node, and the VPC letting port 80 in: what is
        // left between the internet and the page is the nodes' own iptables.
        for (const sandbox::ClusterNode &n : std::as_const(m_status.nodes)) {
            const int fd = sandbox::listenTcp(n.netns, 80, &error);
            QVERIFY2(fd >= 0, qPrintable(error));
            m_listeners << fd;
        }
        sandbox::FirewallRule http;
        http.name = u"allow-http"_s;
        http.allowed = {{u"tcp"_s, {u"80"_s}}};
        QVERIFY2(m_cluster->addAllowRule(http, &error), qPrintable(error));
    }

    void cleanupTestCase()
    {
        for (int fd : std::as_const(m_listeners))
            ::close(fd);
        if (m_cluster) {
            QString error;
            QVERIFY2(m_cluster->down(&error), qPrintable(error));
        }
    }

    void openPortOnAllNodes()
    {
        const sandbox::ClusterNode agent = m_status.nodes.at(1);
        QString error;
        const auto probe = [&] {
            return sandbox::probeTcp(m_status.internetNetns, QHostAddress(agent.externalAddress),
                                     80, 1500, &error);
        };
        QVERIFY2(probe() != sandbox::ProbeResult::Connected,
                 "port 80 should be blocked by the node's iptables before Pier opens it");

        ui::MainWindow window;
        // The tutorial's app (the editor's template): service port 80.
        QFile tpl(QStringLiteral(PIER_TEST_DATA "/../../resources/templates/nginx.json"));
        QVERIFY(tpl.open(QIODevice::ReadOnly));
        marathon::JsonParseError parseError;
        const marathon::AppDefinition def =
            marathon::AppDefinition::parse(tpl.readAll(), &parseError);
        window.editor()->setDefinition(def);

        auto *view = new ui::NodesView(profile());
        view->setAppEditor(window.editor());
        QList<nodes::Node> nodes;
        for (const sandbox::ClusterNode &n : std::as_const(m_status.nodes)) {
            nodes::Node node;
            node.name = n.name;
            node.address = n.address;
            node.role = n.role;
            nodes << node;
        }
        view->setNodes(nodes);
        window.setPageWidget(ui::MainWindow::Page::Nodes, view);
        window.setPage(ui::MainWindow::Page::Nodes);
        window.resize(1500, 1000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        QCOMPARE(view->port(), 80);
        auto *portSource = view->findChild<QLabel *>(u"nodesPortSource"_s);
        QVERIFY2(portSource->text().contains(u"service port of nginx"_s),
                 qPrintable(portSource->text()));
        auto *openAll = view->findChild<QPushButton *>(u"nodesOpenAll"_s);
        QVERIFY(openAll);
        QCOMPARE(openAll->text().remove(u'&'), u"Open port 80 on all"_s);
        QCOMPARE(view->panes().size(), 4);

        // First the diagnosis: blocked, in words, with the rule or policy that decides.
        QTest::mouseClick(view->findChild<QPushButton *>(u"nodesDiagnoseAll"_s), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!view->isBusy(), 120000);
        for (const ui::NodePane *p : view->panes()) {
            QVERIFY2(
                p->outcome() == ui::NodePane::Outcome::Succeeded,
                qPrintable(p->name() + u": "_s + p->actionText() + u"\n"_s + p->log()->text()));
            QVERIFY2(p->verdictText().startsWith(u"BLOCKED — INPUT"_s),
                     qPrintable(p->verdictText()));
        }

        QTest::mouseClick(openAll, Qt::LeftButton);
        // In parallel: every pane is busy at once, not one after the other.
        for (const ui::NodePane *p : view->panes())
            QVERIFY2(p->isBusy(), qPrintable(p->name()));
        QTRY_VERIFY_WITH_TIMEOUT(!view->isBusy(), 60000);
        for (const ui::NodePane *p : view->panes()) {
            QVERIFY2(
                p->outcome() == ui::NodePane::Outcome::Succeeded,
                qPrintable(p->name() + u": "_s + p->actionText() + u"\n"_s + p->log()->text()));
            QVERIFY2(p->connectionText().startsWith(u"Ready"_s), qPrintable(p->connectionText()));
            QVERIFY2(p->hostKeyText().startsWith(u"known"_s), qPrintable(p->hostKeyText()));
            const QString log = p->log()->text();
            QVERIFY2(log.contains(u"$ "_s) && log.contains(u"iptables"_s), qPrintable(log));
        }
        // The sessions stay open (one per node, through the proxy): the second action reused them.
        QCOMPARE(m_proxy->activeCount(), 4);
        QCOMPARE(m_proxy->connectionCount(), 4);

        QCOMPARE(probe(), sandbox::ProbeResult::Connected);
        screenshot(&window, u"node-panes.png"_s);

        // Diagnose now says accepted, in words, with the deciding rule.
        QTest::mouseClick(view->findChild<QPushButton *>(u"nodesDiagnoseAll"_s), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!view->isBusy(), 60000);
        for (const ui::NodePane *p : view->panes()) {
            QVERIFY2(p->verdictText().startsWith(u"ACCEPTED — "_s), qPrintable(p->verdictText()));
            QVERIFY2(p->verdictText().contains(u"→ ACCEPT"_s), qPrintable(p->verdictText()));
        }

        // The command box, on all nodes: each log holds its node's answer.
        auto *command = view->findChild<QLineEdit *>(u"nodesCommand"_s);
        auto *target = view->findChild<QComboBox *>(u"nodesCommandTarget"_s);
        QVERIFY(command && target);
        target->setCurrentIndex(1);
        QTest::keyClicks(command, u"hostname; id -un"_s);
        QTest::keyClick(command, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(!view->isBusy(), 30000);
        for (const ui::NodePane *p : view->panes()) {
            const QString log = p->log()->text();
            QVERIFY2(log.contains(u"$ hostname; id -un"_s), qPrintable(log));
            QVERIFY2(log.contains(u"│ "_s + m_status.sshUser), qPrintable(log));
            QVERIFY2(log.contains(u"│ "_s + p->name()), qPrintable(log));
        }

        // Tabs show the same panes, one at a time.
        view->setLayoutMode(ui::NodesView::Layout::Tabs);
        auto *tabs = view->findChild<QTabWidget *>(u"nodesTabs"_s);
        QCOMPARE(tabs->count(), 4);
        tabs->setCurrentIndex(2);
        QCOMPARE(view->selectedPane(), view->panes().at(2));
        // From the keyboard: the next node, and the command box follows the selection.
        view->panes().at(2)->setFocus();
        QTest::keyClick(view->panes().at(2), Qt::Key_PageDown, Qt::ControlModifier);
        QCOMPARE(view->selectedPane(), view->panes().at(3));
        QCOMPARE(tabs->currentWidget(), view->panes().at(3));
        QVERIFY(target->itemText(0).endsWith(view->panes().at(3)->name()));
    }

    void hostKeysUnknownAndChanged()
    {
        // known_hosts with a wrong key for agent-1 (as if it were rebuilt, or intercepted) and
        // nothing for agent-2.
        QTemporaryDir dir;
        const QString fake = dir.filePath(u"fake"_s);
        run(u"ssh-keygen"_s, {u"-q"_s, u"-t"_s, u"ed25519"_s, u"-N"_s, u""_s, u"-f"_s, fake});
        QFile pub(fake + u".pub"_s);
        QVERIFY(pub.open(QIODevice::ReadOnly));
        const QByteArray fakeKey = pub.readAll().split(' ').mid(0, 2).join(' ');
        const QString knownHosts = dir.filePath(u"known_hosts"_s);
        QFile kh(knownHosts);
        QVERIFY(kh.open(QIODevice::WriteOnly));
        kh.write(m_status.nodes.at(1).address.toUtf8() + ' ' + fakeKey + '\n');
        kh.close();

        Profile p = profile();
        p.sshKnownHosts = knownHosts;
        ui::NodesView view(p);
        view.setNodes(sandboxNodes({1, 2}));
        view.resize(1200, 800);
        view.show();
        view.diagnoseAll();

        ui::NodePane *changed = view.panes().at(0);
        ui::NodePane *unknown = view.panes().at(1);
        QTRY_COMPARE_WITH_TIMEOUT(unknown->hostKey(), ui::NodePane::HostKey::Unknown, 20000);
        QVERIFY2(unknown->hostKeyText().contains(u"SHA256:"_s), qPrintable(unknown->hostKeyText()));
        auto *accept = unknown->findChild<QPushButton *>(u"nodeAcceptKey"_s);
        QVERIFY(accept && accept->isVisible());

        QTRY_COMPARE_WITH_TIMEOUT(changed->outcome(), ui::NodePane::Outcome::Failed, 20000);
        QCOMPARE(changed->hostKey(), ui::NodePane::HostKey::Changed);
        QVERIFY2(changed->connectionText().contains(u"has changed"_s),
                 qPrintable(changed->connectionText()));
        QVERIFY2(changed->hostKeyText().contains(u"intercepting"_s),
                 qPrintable(changed->hostKeyText()));

        QTest::mouseClick(accept, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!view.isBusy(), 30000);
        QVERIFY2(unknown->outcome() == ui::NodePane::Outcome::Succeeded,
                 qPrintable(unknown->actionText()));
        QCOMPARE(unknown->hostKey(), ui::NodePane::HostKey::Accepted);
        QVERIFY(!accept->isVisible());
        QVERIFY(kh.open(QIODevice::ReadOnly));
        QVERIFY(kh.readAll().contains(m_status.nodes.at(2).address.toUtf8()));
    }

    void passphraseAskedOnce()
    {
        // The same key, encrypted: one question for all four nodes.
        QTemporaryDir dir;
        const QString key = dir.filePath(u"id_ed25519"_s);
        QVERIFY(QFile::copy(m_status.sshKeyFile, key));
        QFile::setPermissions(key, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        run(u"ssh-keygen"_s,
            {u"-q"_s, u"-p"_s, u"-f"_s, key, u"-P"_s, u""_s, u"-N"_s, u"s3cret"_s});
        Profile p = profile();
        p.name.clear(); // no keychain in tests: the answer comes from the prompt
        p.sshKeyFile = key;
        ui::PassphrasePrompt::clearAnswers();
        ui::PassphrasePrompt::setNextAnswer({true, u"s3cret"_s, false});
        ui::NodesView view(p);
        view.setNodes(sandboxNodes({0, 1, 2, 3}));
        view.runCommand(u"true"_s, true, false);
        QTRY_VERIFY_WITH_TIMEOUT(!view.isBusy(), 30000);
        for (const ui::NodePane *pane : view.panes())
            QVERIFY2(pane->outcome() == ui::NodePane::Outcome::Succeeded,
                     qPrintable(pane->name() + u": "_s + pane->actionText() + u" / "_s +
                                pane->connectionText()));
        QCOMPARE(ui::PassphrasePrompt::questionCount(), 1);
    }

    void undoOnAllAndTheLog()
    {
        ui::NodesView view(profile());
        view.setNodes(sandboxNodes({0, 1, 2, 3}));
        view.resize(1200, 800);
        view.show();
        QTest::mouseClick(view.findChild<QPushButton *>(u"nodesUndoAll"_s), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!view.isBusy(), 60000);
        for (const ui::NodePane *pane : view.panes()) {
            QVERIFY2(pane->outcome() == ui::NodePane::Outcome::Succeeded,
                     qPrintable(pane->name() + u": "_s + pane->actionText()));
            QVERIFY2(pane->actionText().startsWith(u"Undone"_s), qPrintable(pane->actionText()));
            QVERIFY2(pane->verdictText().startsWith(u"BLOCKED"_s), qPrintable(pane->verdictText()));
        }
        QVERIFY(sandbox::probeTcp(m_status.internetNetns,
                                  QHostAddress(m_status.nodes.at(1).externalAddress), 80,
                                  1500) != sandbox::ProbeResult::Connected);

        // Save writes what the log shows; Clear empties it.
        ui::CommandLog *log = view.panes().at(0)->log();
        QTemporaryDir dir;
        const QString file = dir.filePath(u"node.log"_s);
        log->setSaveTarget(file);
        QTest::mouseClick(log->findChild<QPushButton *>(u"logSave"_s), Qt::LeftButton);
        QFile saved(file);
        QVERIFY(saved.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(saved.readAll());
        QVERIFY2(text.contains(u"$ "_s) && text.contains(u"iptables"_s), qPrintable(text));
        QCOMPARE(text.trimmed(), log->text().trimmed());
        QTest::mouseClick(log->findChild<QPushButton *>(u"logClear"_s), Qt::LeftButton);
        QVERIFY(log->text().isEmpty());
    }

    void nodesFromTheProfile()
    {
        // No Mesos configured: the profile's hand-added nodes, and a word for the unusable entry.
        Profile p = profile();
        p.nodes = {u"web-1="_s + m_status.nodes.at(1).address, u"bad;name"_s};
        ui::NodesView view(p);
        view.discover(QUrl());
        QTRY_COMPARE(view.panes().size(), 1);
        QCOMPARE(view.panes().at(0)->name(), u"web-1"_s);
        QCOMPARE(view.panes().at(0)->address(), m_status.nodes.at(1).address);
        QVERIFY2(view.panes().at(0)->log()->text().contains(u"bad;name"_s),
                 qPrintable(view.panes().at(0)->log()->text()));
        view.diagnose(view.panes().at(0));
        QTRY_VERIFY_WITH_TIMEOUT(!view.isBusy(), 30000);
        QCOMPARE(view.panes().at(0)->outcome(), ui::NodePane::Outcome::Succeeded);

        // Refresh asks again: a fresh pane for the same node.
        auto *refresh = view.findChild<QToolButton *>(u"nodesRefresh"_s);
        QVERIFY(refresh && refresh->isEnabled());
        const QPointer<ui::NodePane> before = view.panes().at(0);
        refresh->click();
        QTRY_VERIFY(!before);
        QCOMPARE(view.panes().size(), 1);
        QCOMPARE(view.panes().at(0)->outcome(), ui::NodePane::Outcome::None);
    }

    void oneNodeFailingDoesNotStopTheOthers()
    {
        ui::NodesView view(profile());
        QList<nodes::Node> list;
        for (int i : {1, 2}) {
            nodes::Node node;
            node.name = m_status.nodes.at(i).name;
            node.address = m_status.nodes.at(i).address;
            list << node;
        }
        // The router answers on the internal network but runs no sshd: connection refused.
        nodes::Node ghost;
        ghost.name = u"ghost"_s;
        ghost.address = m_status.routerAddress;
        list << ghost;
        view.setNodes(list);
        view.resize(1200, 800);
        view.show();
        view.diagnoseAll();
        QTRY_VERIFY_WITH_TIMEOUT(!view.isBusy(), 60000);
        ui::NodePane *bad = view.pane(u"ghost"_s);
        QCOMPARE(bad->outcome(), ui::NodePane::Outcome::Failed);
        QVERIFY2(bad->connectionText().startsWith(u"Failed: "_s),
                 qPrintable(bad->connectionText()));
        auto *retry = bad->findChild<QPushButton *>(u"nodeRetry"_s);
        QVERIFY(retry && retry->isVisible());
        for (const QString &name : {list.at(0).name, list.at(1).name}) {
            const ui::NodePane *p = view.pane(name);
            QVERIFY2(p->outcome() == ui::NodePane::Outcome::Succeeded,
                     qPrintable(name + u": "_s + p->actionText()));
            QVERIFY2(QRegularExpression(u"^(ACCEPTED|BLOCKED) — INPUT"_s)
                         .match(p->verdictText())
                         .hasMatch(),
                     qPrintable(p->verdictText()));
        }
        QVERIFY2(view.summaryText().contains(u"1 failed"_s), qPrintable(view.summaryText()));
    }
};

QTEST_MAIN(TestNodePanes)
#include "tst_nodepanes.moc"
