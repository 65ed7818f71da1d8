// The Nodes page and an encrypted SSH key, with a real keychain (gnome-keyring in a private D-Bus
// session, through tests/secrets/with-keyring.sh) and a real sandbox node: the passphrase is kept
// only when the user ticks "remember", and a kept one is used without asking.
#include "core/profile.h"
#include "nodes/node.h"
#include "sandbox/cluster.h"
#include "sandbox/netns.h"
#include "sandbox/socksproxy.h"
#include "secrets/secretstore.h"
#include "ui/nodepane.h"
#include "ui/nodesview.h"
#include "ui/passphraseprompt.h"

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

using namespace pier;
using namespace Qt::StringLiterals;

class TestNodePassphrase : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::unique_ptr<sandbox::Cluster> m_cluster;
    sandbox::ClusterStatus m_status;
    std::unique_ptr<sandbox::SocksProxy> m_proxy;
    QString m_key;
    QString m_name = u"panes-keychain-%1"_s.arg(QRandomGenerator::global()->generate());

    Profile profile() const
    {
        Profile p;
        p.name = m_name;
        p.sshUser = m_status.sshUser;
        p.sshKeyFile = m_key;
        p.sshKnownHosts = m_status.knownHostsFile;
        p.socksProxy = u"127.0.0.1:%1"_s.arg(m_proxy->port());
        return p;
    }

    // Runs a command on the node from a new page; true when it succeeded.
    bool runOnce()
    {
        ui::NodesView view(profile());
        nodes::Node node;
        node.name = m_status.nodes.at(0).name;
        node.address = m_status.nodes.at(0).address;
        view.setNodes({node});
        view.runCommand(u"true"_s, true, false);
        if (!QTest::qWaitFor([&] { return !view.isBusy(); }, 30000))
            return false;
        return view.panes().at(0)->outcome() == ui::NodePane::Outcome::Succeeded;
    }

    SecretStore::ReadResult stored()
    {
        return SecretStore(u"Pier"_s).readNow(
            Profile::secretKey(m_name, Profile::Secret::SshKeyPassphrase));
    }

private slots:
    void initTestCase()
    {
        if (::geteuid() != 0)
            QSKIP("needs root: the sandbox's nodes live in network namespaces");
        const QString missing = sandbox::Cluster::missingPrerequisites();
        if (!missing.isEmpty())
            QSKIP(qPrintable(missing));
        if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
            QSKIP("no D-Bus session: run through tests/secrets/with-keyring.sh");
        const ApiError e = SecretStore(u"Pier-test"_s).writeNow(u"probe"_s, u"x"_s);
        if (e.isError())
            QSKIP(qPrintable(u"no usable keychain: "_s + e.message));
        qunsetenv("SSH_AUTH_SOCK");

        const QString id = u"panesk%1"_s.arg(QRandomGenerator::global()->bounded(100000, 999999));
        m_cluster = std::make_unique<sandbox::Cluster>(id);
        sandbox::ClusterOptions options;
        options.agents = 1;
        QString error;
        QCOMPARE_NE(m_cluster->up(options, &error), sandbox::Cluster::UpResult::Failed);
        auto status = m_cluster->status(&error);
        QVERIFY2(status, qPrintable(error));
        m_status = *status;

        sandbox::SocksProxy::Options po;
        po.routes << sandbox::SocksProxy::Route{QHostAddress::parseSubnet(m_status.internalRange),
                                                m_status.vpnNetns};
        m_proxy = std::make_unique<sandbox::SocksProxy>(po);
        QVERIFY2(m_proxy->listen(), qPrintable(m_proxy->errorString()));

        m_key = m_dir.filePath(u"id_ed25519"_s);
        QVERIFY(QFile::copy(m_status.sshKeyFile, m_key));
        QFile::setPermissions(m_key, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        QVERIFY(sandbox::runProcess(u"ssh-keygen"_s, {u"-q"_s, u"-p"_s, u"-f"_s, m_key, u"-P"_s,
                                                      u""_s, u"-N"_s, u"s3cret"_s})
                    .ok());
    }

    void cleanupTestCase()
    {
        SecretStore(u"Pier"_s).removeNow(
            Profile::secretKey(m_name, Profile::Secret::SshKeyPassphrase));
        if (m_cluster) {
            QString error;
            QVERIFY2(m_cluster->down(&error), qPrintable(error));
        }
    }

    void keptOnlyWhenAsked()
    {
        // Not ticked: asked, used, not kept.
        ui::PassphrasePrompt::clearAnswers();
        ui::PassphrasePrompt::setNextAnswer({true, u"s3cret"_s, false});
        QVERIFY(runOnce());
        QCOMPARE(ui::PassphrasePrompt::questionCount(), 1);
        QVERIFY(!stored().found);

        // Ticked: kept in the keychain once the key opened with it.
        ui::PassphrasePrompt::clearAnswers();
        ui::PassphrasePrompt::setNextAnswer({true, u"s3cret"_s, true});
        QVERIFY(runOnce());
        QCOMPARE(ui::PassphrasePrompt::questionCount(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(stored().found, 5000);
        QCOMPARE(stored().value, u"s3cret"_s);

        // Next time: from the keychain, no question.
        ui::PassphrasePrompt::clearAnswers();
        QVERIFY(runOnce());
        QCOMPARE(ui::PassphrasePrompt::questionCount(), 0);
    }
};

QTEST_MAIN(TestNodePassphrase)
#include "tst_nodepassphrase.moc"
