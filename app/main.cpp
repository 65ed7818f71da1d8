// The `pier` executable: the window with no subcommand, the command line with one.
#include "cli/cli.h"

#include <QCoreApplication>

int runGui(int argc, char **argv); // ui/guimain.cpp: widgets stay out of app/

int main(int argc, char **argv)
{
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    if (pier::cli::isCliInvocation(args)) {
        QCoreApplication app(argc, argv);
        QCoreApplication::setOrganizationName(QStringLiteral("Pier"));
        QCoreApplication::setApplicationName(QStringLiteral("Pier"));
        QCoreApplication::setApplicationVersion(QStringLiteral(PIER_VERSION));
        return pier::cli::run(QCoreApplication::arguments());
    }
    return runGui(argc, argv);
}
