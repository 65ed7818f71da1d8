// The Network page driven as a user would, against the sandbox's GCE: Check shows what is to do
// and changes nothing, Apply makes the address answer (link shown), Copy gives the exact gcloud
// command, Remove leaves nothing behind.
#include "core/profile.h"
#include "sandbox/gceserver.h"
#include "ui/networkpage.h"

#include <QApplication>
#include <QClipboard>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <memory>

using namespace pier;
using pier::sandbox::GceServer;

class TestNetworkPage : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<GceServer> m_server;
    QTemporaryDir m_dir;
    Profile m_profile;

    bool click(ui::NetworkPage *page, const char *button)
    {
        QSignalSpy finished(page, &ui::NetworkPage::finished);
        auto *b = page->findChild<QPushButton *>(QLatin1String(button));
        if (!b)
            return false;
        QTest::mouseClick(b, Qt::LeftButton);
        return finished.wait(30000) && finished.first().first().toBool();
    }

    int resources() const
    {
        int n = 0;
        for (const QString &c : {QStringLiteral("regions/us-central1/addresses"),
                                 QStringLiteral("regions/us-central1/targetPools"),
                                 QStringLiteral("regions/us-central1/forwardingRules"),
                                 QStringLiteral("global/firewalls")})
            n += int(m_server->resourcePaths(c).size());
        return n;
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // the journal goes to a test directory
        GceServer::Options o;
        o.operationMs = 50;
        m_server = std::make_unique<GceServer>(o);
        QVERIFY(m_server->listen());
        const QString key = m_dir.filePath(QStringLiteral("key.json"));
        QVERIFY(m_server->writeServiceAccountKey(key));
        m_profile.name = QStringLiteral("sandbox");
        m_profile.gceProject = o.project;
        m_profile.gceZone = o.zone;
        m_profile.gceRegion = o.region;
        m_profile.gceEndpoint = m_server->endpoint().toString();
        m_profile.gceCredentials = Profile::GceCredentials::ServiceAccountKey;
        m_profile.gceKeyFile = key;
    }

    void checkApplyCopyRemove()
    {
        ui::NetworkPage page([this] { return m_profile; });
        page.resize(900, 700);
        page.show();

        QVERIFY(click(&page, "check"));
        QCOMPARE(page.stepStatus(QStringLiteral("address")), QStringLiteral("to do"));
        QCOMPARE(page.stepStatus(QStringLiteral("network")), QStringLiteral("present"));
        QCOMPARE(m_server->mutationCount(), 0);

        QVERIFY(click(&page, "apply"));
        const QString ip =
            m_server->resource(QStringLiteral("regions/us-central1/addresses/pier-address"))
                .value(QStringLiteral("address"))
                .toString();
        QCOMPARE(page.externalUrl(), QStringLiteral("http://%1/").arg(ip));
        QVERIFY(page.findChild<QLabel *>(QStringLiteral("address"))
                    ->text()
                    .contains(QStringLiteral("href=\"http://%1/\"").arg(ip)));
        for (const QString &id :
             {QStringLiteral("address"), QStringLiteral("pool"), QStringLiteral("instances"),
              QStringLiteral("rule"), QStringLiteral("tags"), QStringLiteral("network"),
              QStringLiteral("firewall")})
            QCOMPARE(page.stepStatus(id), QStringLiteral("done"));

        // The firewall card's command names the network found from the nodes, and Copy copies it.
        auto *card = page.findChild<QWidget *>(QStringLiteral("step-firewall"));
        QVERIFY(card);
        const QString command =
            card->findChild<QPlainTextEdit *>(QStringLiteral("command"))->toPlainText();
        QVERIFY2(command.contains(QStringLiteral("--network ") + m_server->options().network),
                 qPrintable(command));
        QTest::mouseClick(card->findChild<QToolButton *>(QStringLiteral("copy")), Qt::LeftButton);
        QCOMPARE(QApplication::clipboard()->text(), command);
        if (qEnvironmentVariableIsSet("PIER_SCREENSHOT"))
            page.grab().save(qEnvironmentVariable("PIER_SCREENSHOT"));

        QVERIFY(click(&page, "teardown"));
        QCOMPARE(resources(), 0);
        QVERIFY(page.externalUrl().isEmpty());
    }

    // Opening the page shows the steps and what exists without a click, changing nothing.
    void checksByItselfWhenShown()
    {
        const int mutations = m_server->mutationCount();
        ui::NetworkPage page([this] { return m_profile; });
        page.resize(900, 700);
        page.show();
        QTRY_COMPARE_WITH_TIMEOUT(page.stepStatus(QStringLiteral("network")),
                                  QStringLiteral("present"), 10000);
        QTRY_VERIFY(!page.isBusy());
        QCOMPARE(page.stepStatus(QStringLiteral("address")), QStringLiteral("to do"));
        QCOMPARE(m_server->mutationCount(), mutations);
    }

    void missingSettingsAreExplained()
    {
        ui::NetworkPage page([] { return Profile{}; });
        QSignalSpy finished(&page, &ui::NetworkPage::finished);
        QTest::mouseClick(page.findChild<QPushButton *>(QStringLiteral("check")), Qt::LeftButton);
        QVERIFY(!page.isBusy());
        const QString where = page.findChild<QLabel *>(QStringLiteral("where"))->text();
        QVERIFY2(where.contains(QLatin1String("credentials")) ||
                     where.contains(QLatin1String("--project")),
                 qPrintable(where));
    }
};

QTEST_MAIN(TestNetworkPage)
#include "tst_networkpage.moc"
