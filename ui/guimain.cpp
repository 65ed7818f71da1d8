// The window's entry point, called by app/main.cpp when no subcommand is given.
#include "cli/connection.h"
#include "core/profilestore.h"
#include "diagnosis/diagnosisjob.h"
#include "marathon/livemodel.h"
#include "marathon/marathonclient.h"
#include "ui/appeditor.h"
#include "ui/deploywizard.h"
#include "ui/launchcontroller.h"
#include "ui/liveview.h"
#include "ui/mainwindow.h"
#include "ui/networkpage.h"
#include "ui/nodesview.h"
#include "ui/profileswitcher.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QIcon>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QTimer>
#include <QTranslator>
#include <cstdio>
#include <functional>

namespace {

// For tests/bench/bench_startup: says when the window is on screen and, once idle, how much
// memory the process holds, then quits.
// Reports once the window has painted its first frame (the top level's first UpdateRequest
// paints the whole widget tree into the backing store and flushes it).
class FirstFrame : public QObject {
public:
    using QObject::QObject;
    std::function<void()> onPainted;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::UpdateRequest && onPainted) {
            auto done = std::move(onPainted);
            onPainted = nullptr;
            QTimer::singleShot(0, this, done); // after this event's painting
        }
        return QObject::eventFilter(watched, event);
    }
};

void reportStartup(QWidget *window)
{
    auto *probe = new FirstFrame(window);
    window->installEventFilter(probe);
    probe->onPainted = [] {
        std::fprintf(stderr, "pier-startup: window shown\n");
        std::fflush(stderr);
        QTimer::singleShot(1500, qApp, [] {
            long rssKb = -1;
            if (FILE *f = std::fopen("/proc/self/status", "r")) {
                char line[256];
                while (std::fgets(line, sizeof line, f)) {
                    if (std::sscanf(line, "VmRSS: %ld kB", &rssKb) == 1)
                        break;
                }
                std::fclose(f);
            }
            std::fprintf(stderr, "pier-startup: idle rss_kb=%ld\n", rssKb);
            std::fflush(stderr);
            QApplication::quit();
        });
    };
}

} // namespace

int runGui(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Pier"));
    QApplication::setApplicationName(QStringLiteral("Pier"));
    QApplication::setApplicationVersion(QStringLiteral(PIER_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/pier/icons/pier.svg")));
    QApplication::setDesktopFileName(QStringLiteral("pier"));
    // The window's strings in the user's language, when Pier has a translation for it.
    QTranslator translator;
    if (translator.load(QLocale(), QStringLiteral("pier"), QStringLiteral("_"),
                        QStringLiteral(":/pier/i18n")))
        QApplication::installTranslator(&translator);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Pier: from an app definition to a public page on Mesos."));
    parser.addOption(
        {QStringLiteral("marathon"), QStringLiteral("Marathon's address."), QStringLiteral("URL")});
    parser.addOption({QStringLiteral("profile"), QStringLiteral("The cluster profile to use."),
                      QStringLiteral("NAME")});
    parser.addPositionalArgument(QStringLiteral("file"),
                                 QStringLiteral("An app definition to open."),
                                 QStringLiteral("[FILE]"));
    parser.process(app);

    pier::ui::MainWindow window;
    const QStringList files = parser.positionalArguments();
    if (!files.isEmpty())
        window.openFile(files.first());

    // The cluster: --marathon, PIER_MARATHON_URL, --profile or the active profile; the welcome
    // page when there is none. Switching profiles re-creates the client and the controller.
    pier::ui::ProfileSwitcher profiles(&window, parser.value(QStringLiteral("marathon")),
                                       parser.value(QStringLiteral("profile")));
    // The Live page follows the same Marathon, on the same client (leader, credentials, CA),
    // and follows a profile switch.
    std::unique_ptr<pier::marathon::LiveModel> live;
    const auto followClient = [&window, &live, &profiles](pier::marathon::MarathonClient *client) {
        if (!client)
            return;
        live = std::make_unique<pier::marathon::LiveModel>(client);
        auto *view = new pier::ui::LiveView(live.get());
        pier::Profile profile;
        if (!profiles.currentProfile().isEmpty() &&
            pier::ProfileStore().find(profiles.currentProfile(), &profile) &&
            !profile.mesosUrl.isEmpty())
            view->setMesosUrl(pier::diagnosis::mesosUrlFromText(profile.mesosUrl));
        window.setPageWidget(pier::ui::MainWindow::Page::Live, view);
        live->start();
    };
    QObject::connect(
        &profiles, &pier::ui::ProfileSwitcher::clientAboutToChange, &window, [&window, &live] {
            if (!live)
                return;
            window.setPageWidget(pier::ui::MainWindow::Page::Live,
                                 new QLabel(QCoreApplication::translate("guimain", "Connecting…")));
            live.reset();
        });
    QObject::connect(&profiles, &pier::ui::ProfileSwitcher::clientChanged, &window, followClient);
    followClient(profiles.client());

    // The Nodes page follows the profile too: its nodes, SSH settings and proxy.
    const auto followProfile = [&window, &profiles] {
        pier::Profile profile;
        if (!profiles.currentProfile().isEmpty())
            pier::ProfileStore().find(profiles.currentProfile(), &profile);
        window.deployWizard()->setProfileName(profiles.currentProfile());
        auto *nodes = new pier::ui::NodesView(profile);
        nodes->setAppEditor(window.editor());
        window.setPageWidget(pier::ui::MainWindow::Page::Nodes, nodes);
        QUrl mesos;
        if (!profile.mesosUrl.isEmpty())
            mesos = pier::diagnosis::mesosUrlFromText(profile.mesosUrl);
        else if (profiles.client())
            mesos = pier::diagnosis::defaultMesosUrl(profiles.client()->currentUrl());
        nodes->discover(mesos);
    };
    QObject::connect(&profiles, &pier::ui::ProfileSwitcher::clientChanged, &window, followProfile);
    followProfile();

    // The Network page reads the profile (--profile, else the active one) when it acts.
    window.setPageWidget(
        pier::ui::MainWindow::Page::Network,
        new pier::ui::NetworkPage([name = parser.value(QStringLiteral("profile"))] {
            const pier::ProfileStore store;
            pier::Profile p;
            store.find(name.isEmpty() ? store.activeName() : name, &p);
            return p;
        }));
    window.show();
    if (qEnvironmentVariableIsSet("PIER_STARTUP_REPORT"))
        reportStartup(&window);
    return app.exec();
}
