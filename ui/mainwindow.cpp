#include "ui/mainwindow.h"

#include "ui/accents.h"
#include "ui/appeditor.h"
#include "ui/deploywizard.h"
#include "ui/jsondiff.h"
#include "ui/jsondiffdialog.h"
#include "ui/jsonformat.h"
#include "ui/messagebox.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QToolBar>
#include <QVBoxLayout>

namespace pier::ui {

using marathon::AppDefinition;

namespace {

// Window state only; never anything secret.
QSettings settings()
{
    return QSettings(QStringLiteral("Pier"), QStringLiteral("Pier"));
}

const QString kGeometryKey = QStringLiteral("mainWindow/geometry");
const QString kStateKey = QStringLiteral("mainWindow/state");
const QString kSplitterKey = QStringLiteral("mainWindow/editorSplitter");
const QString kDirectoryKey = QStringLiteral("files/lastDirectory");

Accent toAccent(MainWindow::Tone tone)
{
    return tone == MainWindow::Tone::Ok        ? Accent::Ok
           : tone == MainWindow::Tone::Problem ? Accent::Error
                                               : Accent::None;
}

QString withShortcut(const QString &tip, const QAction *action)
{
    const QString keys = action->shortcut().toString(QKeySequence::NativeText);
    return keys.isEmpty() ? tip : QStringLiteral("%1 (%2)").arg(tip, keys);
}

// The definition as Marathon shows it, for a diff that shows only real changes: both sides in
// the 1.5+ form a current Marathon answers with (the tutorial's file uses the legacy form),
// defaults filled in, and the fields Marathon keeps about the running app left out.
QString comparable(const QJsonObject &app)
{
    QJsonObject o = AppDefinition(AppDefinition(app).canonicalForm()).withDefaults();
    static const QStringList serverFields{QStringLiteral("version"),
                                          QStringLiteral("versionInfo"),
                                          QStringLiteral("tasks"),
                                          QStringLiteral("tasksRunning"),
                                          QStringLiteral("tasksStaged"),
                                          QStringLiteral("tasksHealthy"),
                                          QStringLiteral("tasksUnhealthy"),
                                          QStringLiteral("deployments"),
                                          QStringLiteral("lastTaskFailure"),
                                          QStringLiteral("taskStats"),
                                          QStringLiteral("readinessCheckResults")};
    for (const QString &key : serverFields)
        o.remove(key);
    return prettyJson(o);
}

} // namespace

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowIcon(QIcon(QStringLiteral(":/pier/icons/pier.svg")));

    auto *central = new QWidget(this);
    auto *h = new QHBoxLayout(central);
    h->setContentsMargins(0, 0, 0, 0);
    h->setSpacing(0);

    m_sidebar = new QListWidget(central);
    m_sidebar->setObjectName(QStringLiteral("sidebar"));
    m_sidebar->setAccessibleName(tr("Pages"));
    m_sidebar->setFrameShape(QFrame::NoFrame);
    m_sidebar->setIconSize(QSize(22, 22));
    m_sidebar->setSpacing(2);
    m_sidebar->setBackgroundRole(QPalette::Window);
    m_sidebar->setAutoFillBackground(true);
    h->addWidget(m_sidebar);
    auto *line = new QFrame(central);
    line->setFrameShape(QFrame::VLine);
    line->setFrameShadow(QFrame::Sunken);
    h->addWidget(line);

    m_pages = new QStackedWidget(central);
    m_pages->setObjectName(QStringLiteral("pages"));
    h->addWidget(m_pages, 1);
    setCentralWidget(central);

    struct PageInfo {
        QString name;
        QStyle::StandardPixmap icon;
        QWidget *widget;
    };
    const QList<PageInfo> pages{
        {tr("Apps"), QStyle::SP_FileDialogContentsView, createAppsPage()},
        {tr("Deploy"), QStyle::SP_ArrowForward, m_deployWizard = new DeployWizard},
        {tr("Live"), QStyle::SP_MediaPlay,
         createPlaceholder(tr("Live"),
                           tr("Live will show your apps as they run: every task, the node it "
                              "runs on, its health checks and the last failures, updated as "
                              "Marathon reports them."))},
        {tr("Nodes"), QStyle::SP_ComputerIcon,
         createPlaceholder(tr("Nodes"),
                           tr("Nodes will list the cluster's machines, each with an SSH pane "
                              "and a view of its firewall, so you can see whether it lets the "
                              "app's port through and fix it when it does not."))},
        {tr("Network"), QStyle::SP_DriveNetIcon,
         createPlaceholder(tr("Network"),
                           tr("Network will show the Google Compute Engine resources that make "
                              "the app public: the static address, the target pool, the "
                              "forwarding rule, the instance tags and the firewall rules."))},
        {tr("Log"), QStyle::SP_FileDialogDetailedView,
         createPlaceholder(tr("Log"),
                           tr("Log will record everything Pier does, with the equivalent "
                              "command for each step, so you can follow it, copy it and repeat "
                              "it by hand."))},
    };
    for (const PageInfo &p : pages) {
        auto *item = new QListWidgetItem(style()->standardIcon(p.icon), p.name, m_sidebar);
        item->setSizeHint(QSize(0, 34));
        m_pages->addWidget(p.widget);
    }
    m_sidebar->setFixedWidth(150);
    connect(m_sidebar, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    // Opening Deploy offers the editor's current definition (kept while a journey runs).
    connect(m_sidebar, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row == int(Page::Deploy) && !m_deployWizard->isBusy())
            m_deployWizard->setApp(m_editor->definition());
    });
    connect(m_deployWizard, &DeployWizard::editAppRequested, this, [this] { setPage(Page::Apps); });
    m_sidebar->setCurrentRow(0);

    m_connection = new QLabel(this);
    m_connection->setObjectName(QStringLiteral("connectionLabel"));
    statusBar()->addPermanentWidget(m_connection);
    setConnectionState({}, tr("not configured"));

    createActions();

    connect(m_editor, &AppEditor::modificationChanged, this, &MainWindow::updateTitle);
    updateTitle();

    QSettings s = settings();
    if (!restoreGeometry(s.value(kGeometryKey).toByteArray())) {
        resize(1200, 780);
        if (const QScreen *screen = QGuiApplication::primaryScreen()) {
            // Smaller screens: fit, leaving room for panels.
            const QSize avail = screen->availableSize();
            if (avail.width() < 1200 || avail.height() < 780)
                resize(avail * 0.9);
        }
    }
    restoreState(s.value(kStateKey).toByteArray());
    if (auto *splitter = m_editor->findChild<QSplitter *>(QStringLiteral("editorSplitter"))) {
        if (!splitter->restoreState(s.value(kSplitterKey).toByteArray()))
            splitter->setSizes({620, 420});
    }
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    const auto icon = [this](QStyle::StandardPixmap p) { return style()->standardIcon(p); };

    m_newAction = new QAction(icon(QStyle::SP_FileIcon), tr("&New from Template"), this);
    m_newAction->setObjectName(QStringLiteral("newAction"));
    m_newAction->setShortcut(QKeySequence::New);
    m_newAction->setToolTip(
        withShortcut(tr("Start from the tutorial's nginx definition"), m_newAction));
    connect(m_newAction, &QAction::triggered, this, &MainWindow::newFromTemplate);

    m_openAction = new QAction(icon(QStyle::SP_DialogOpenButton), tr("&Open…"), this);
    m_openAction->setObjectName(QStringLiteral("openAction"));
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setToolTip(withShortcut(tr("Open an app definition (JSON)"), m_openAction));
    connect(m_openAction, &QAction::triggered, this, &MainWindow::open);

    m_saveAction = new QAction(icon(QStyle::SP_DialogSaveButton), tr("&Save"), this);
    m_saveAction->setObjectName(QStringLiteral("saveAction"));
    m_saveAction->setShortcut(QKeySequence::Save);
    m_saveAction->setToolTip(withShortcut(tr("Save the app definition"), m_saveAction));
    connect(m_saveAction, &QAction::triggered, this, &MainWindow::save);

    m_saveAsAction = new QAction(tr("Save &As…"), this);
    m_saveAsAction->setObjectName(QStringLiteral("saveAsAction"));
    // Not every platform binds QKeySequence::SaveAs; this one works everywhere.
    m_saveAsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    connect(m_saveAsAction, &QAction::triggered, this, &MainWindow::saveAs);

    m_diffAction = new QAction(tr("&Changes Since Saved…"), this);
    m_diffAction->setObjectName(QStringLiteral("diffAction"));
    m_diffAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    connect(m_diffAction, &QAction::triggered, this, &MainWindow::showChangesSinceSaved);

    m_quitAction = new QAction(tr("&Quit"), this);
    m_quitAction->setObjectName(QStringLiteral("quitAction"));
    m_quitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    m_validateAction = new QAction(icon(QStyle::SP_DialogApplyButton), tr("&Validate"), this);
    m_validateAction->setObjectName(QStringLiteral("validateAction"));
    m_validateAction->setShortcut(QKeySequence(Qt::Key_F7));
    m_validateAction->setToolTip(
        withShortcut(tr("Check the definition as Marathon would"), m_validateAction));
    connect(m_validateAction, &QAction::triggered, this, &MainWindow::validate);

    m_launchAction = new QAction(icon(QStyle::SP_MediaPlay), tr("La&unch"), this);
    m_launchAction->setObjectName(QStringLiteral("launchAction"));
    m_launchAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_launchAction->setToolTip(withShortcut(
        tr("Send the definition to Marathon and follow the deployment"), m_launchAction));
    connect(m_launchAction, &QAction::triggered, this, &MainWindow::launch);

    m_deployAction = new QAction(icon(QStyle::SP_ArrowForward), tr("&Deploy…"), this);
    m_deployAction->setObjectName(QStringLiteral("deployAction"));
    m_deployAction->setShortcut(QKeySequence(Qt::Key_F8));
    m_deployAction->setToolTip(withShortcut(
        tr("Take this app to a public address, step by step, in the Deploy page"), m_deployAction));
    connect(m_deployAction, &QAction::triggered, this, &MainWindow::deploy);

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_newAction);
    file->addAction(m_openAction);
    file->addSeparator();
    file->addAction(m_saveAction);
    file->addAction(m_saveAsAction);
    file->addAction(m_diffAction);
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu *app = menuBar()->addMenu(tr("&App"));
    app->addAction(m_validateAction);
    app->addAction(m_launchAction);
    app->addAction(m_deployAction);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < m_sidebar->count(); ++i) {
        auto *go = new QAction(m_sidebar->item(i)->text(), this);
        go->setObjectName(QStringLiteral("pageAction%1").arg(i));
        go->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        connect(go, &QAction::triggered, this, [this, i] {
            m_sidebar->setCurrentRow(i);
            m_pages->currentWidget()->setFocus(Qt::ShortcutFocusReason);
        });
        view->addAction(go);
    }

    QToolBar *tools = addToolBar(tr("Main"));
    tools->setObjectName(QStringLiteral("mainToolBar"));
    tools->setMovable(false);
    tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tools->addAction(m_newAction);
    tools->addAction(m_openAction);
    tools->addAction(m_saveAction);
    tools->addSeparator();
    tools->addAction(m_validateAction);
    tools->addAction(m_launchAction);
    tools->addAction(m_deployAction);
}

void MainWindow::deploy()
{
    m_editor->validateNow();
    if (!m_deployWizard->isBusy())
        m_deployWizard->setApp(m_editor->definition());
    setPage(Page::Deploy);
}

QWidget *MainWindow::createAppsPage()
{
    auto *page = new QWidget;
    page->setObjectName(QStringLiteral("appsPage"));
    auto *v = new QVBoxLayout(page);
    v->setContentsMargins(8, 8, 8, 8);
    v->setSpacing(8);

    m_editor = new AppEditor(page);
    m_editor->setObjectName(QStringLiteral("appEditor"));
    v->addWidget(m_editor, 1);
    page->setFocusProxy(m_editor);

    // Launch progress lives here, next to the definition it is about, not in a dialog.
    auto *panel = new QFrame(page);
    m_launchPanel = panel;
    panel->setObjectName(QStringLiteral("launchPanel"));
    panel->setFrameShape(QFrame::StyledPanel);
    auto *h = new QHBoxLayout(panel);
    h->setContentsMargins(10, 8, 10, 8);
    h->setSpacing(10);
    m_launchIcon = new QLabel(panel);
    m_launchIcon->setObjectName(QStringLiteral("launchIcon"));
    m_launchIcon->setFixedSize(24, 24);
    h->addWidget(m_launchIcon, 0, Qt::AlignTop);
    m_launchStatus = new QLabel(panel);
    m_launchStatus->setObjectName(QStringLiteral("launchStatus"));
    m_launchStatus->setWordWrap(true);
    m_launchStatus->setTextFormat(Qt::PlainText);
    m_launchStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_launchStatus->setMinimumHeight(m_launchStatus->fontMetrics().lineSpacing() * 2);
    h->addWidget(m_launchStatus, 1);
    m_launchBusy = new QProgressBar(panel);
    m_launchBusy->setObjectName(QStringLiteral("launchProgress"));
    m_launchBusy->setFixedWidth(160);
    m_launchBusy->setVisible(false);
    h->addWidget(m_launchBusy);
    m_cancelButton = new QPushButton(tr("Cancel"), panel);
    m_cancelButton->setObjectName(QStringLiteral("cancelLaunchButton"));
    m_cancelButton->setToolTip(tr("Stop following the launch. A deployment Marathon has started "
                                  "keeps going; see Live."));
    m_cancelButton->setVisible(false);
    connect(m_cancelButton, &QPushButton::clicked, this, &MainWindow::launchCancelRequested);
    h->addWidget(m_cancelButton);
    m_launchButton =
        new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Launch"), panel);
    m_launchButton->setObjectName(QStringLiteral("launchButton"));
    connect(m_launchButton, &QPushButton::clicked, this, &MainWindow::launch);
    h->addWidget(m_launchButton);
    v->addWidget(panel);

    showLaunchState(Tone::Neutral,
                    tr("Launch sends this definition to Marathon (POST /v2/apps, or PUT when "
                       "the app exists) and follows the deployment here until its tasks run."),
                    false);
    return page;
}

QWidget *MainWindow::createPlaceholder(const QString &title, const QString &text)
{
    auto *page = new QWidget;
    page->setObjectName(title.toLower() + QStringLiteral("Page"));
    auto *v = new QVBoxLayout(page);
    v->addStretch(2);
    auto *heading = new QLabel(title, page);
    QFont f = heading->font();
    f.setPointSizeF(f.pointSizeF() * 1.6);
    f.setBold(true);
    heading->setFont(f);
    heading->setAlignment(Qt::AlignHCenter);
    v->addWidget(heading);
    auto *body = new QLabel(text, page);
    body->setObjectName(QStringLiteral("placeholderText"));
    body->setWordWrap(true);
    body->setAlignment(Qt::AlignHCenter);
    body->setMinimumWidth(460);
    body->setMaximumWidth(560);
    body->setFocusPolicy(Qt::StrongFocus); // so Ctrl+N lands here and screen readers read it
    auto *row = new QHBoxLayout;
    row->addStretch(1);
    row->addWidget(body);
    row->addStretch(1);
    v->addLayout(row);
    auto *later = new QLabel(tr("This page is not ready yet. Meanwhile, write and launch your "
                                "app from the Apps page."),
                             page);
    later->setForegroundRole(QPalette::PlaceholderText);
    later->setAlignment(Qt::AlignHCenter);
    later->setWordWrap(true);
    v->addWidget(later);
    v->addStretch(3);
    return page;
}

MainWindow::Page MainWindow::page() const
{
    return Page(m_pages->currentIndex());
}

void MainWindow::setPage(Page page)
{
    m_sidebar->setCurrentRow(int(page));
}

void MainWindow::setPageWidget(Page page, QWidget *widget)
{
    const int index = int(page);
    QWidget *old = m_pages->widget(index);
    const bool current = m_pages->currentIndex() == index;
    m_pages->insertWidget(index, widget);
    m_pages->removeWidget(old);
    old->deleteLater();
    if (current)
        m_pages->setCurrentIndex(index);
}

// ---- files -----------------------------------------------------------------------------------

void MainWindow::updateTitle()
{
    const QString path = m_editor->filePath();
    const QString name = path.isEmpty() ? tr("Untitled") : QFileInfo(path).fileName();
    setWindowTitle(tr("%1[*] — Pier").arg(name));
    setWindowModified(m_editor->isModified());
}

void MainWindow::showFileError(const QString &title, const QString &message)
{
    MessageBox::Question q;
    q.icon = QMessageBox::Warning;
    q.title = title;
    q.text = message;
    q.buttons = {MessageBox::Ok};
    q.defaultButton = MessageBox::Ok;
    q.escapeButton = MessageBox::Ok;
    MessageBox::ask(this, q);
}

bool MainWindow::maybeSave()
{
    if (!m_editor->isModified())
        return true;
    const QString path = m_editor->filePath();
    MessageBox::Question q;
    q.icon = QMessageBox::Warning;
    q.title = tr("Unsaved changes");
    q.text = tr("The app definition “%1” has changes that are not saved.")
                 .arg(path.isEmpty() ? tr("Untitled") : QFileInfo(path).fileName());
    q.informativeText = tr("Save them before going on?");
    q.buttons = {MessageBox::Save, MessageBox::Discard, MessageBox::Cancel};
    q.buttonText.insert(MessageBox::Discard, tr("Discard Changes"));
    q.defaultButton = MessageBox::Save;
    q.escapeButton = MessageBox::Cancel;
    switch (MessageBox::ask(this, q)) {
    case MessageBox::Save:
        return save();
    case MessageBox::Discard:
        return true;
    default:
        return false;
    }
}

void MainWindow::newFromTemplate()
{
    if (!maybeSave())
        return;
    m_editor->newFromTemplate();
    updateTitle();
    setPage(Page::Apps);
    statusBar()->showMessage(tr("New definition from the nginx template"), 4000);
}

void MainWindow::open()
{
    if (!maybeSave())
        return;
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open App Definition"), lastDirectory(),
                                     tr("App definitions (*.json);;All files (*)"));
    if (!path.isEmpty())
        openFile(path);
}

bool MainWindow::openFile(const QString &path)
{
    QString error;
    if (!m_editor->loadFile(path, &error)) {
        showFileError(tr("Cannot open"), error);
        return false;
    }
    rememberDirectory(path);
    updateTitle();
    setPage(Page::Apps);
    statusBar()->showMessage(tr("Opened %1").arg(QDir::toNativeSeparators(path)), 4000);
    return true;
}

bool MainWindow::save()
{
    if (m_editor->filePath().isEmpty())
        return saveAs();
    return saveFile(m_editor->filePath());
}

bool MainWindow::saveAs()
{
    QString suggested = m_editor->filePath();
    if (suggested.isEmpty()) {
        QString name = m_editor->definition().id().section(QLatin1Char('/'), -1);
        if (name.isEmpty())
            name = QStringLiteral("app");
        suggested = QDir(lastDirectory()).filePath(name + QStringLiteral(".json"));
    }
    QString path = QFileDialog::getSaveFileName(this, tr("Save App Definition"), suggested,
                                                tr("App definitions (*.json);;All files (*)"));
    if (path.isEmpty())
        return false;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".json");
    return saveFile(path);
}

bool MainWindow::saveFile(const QString &path)
{
    QString error;
    if (!m_editor->saveFile(path, &error)) {
        showFileError(tr("Cannot save"), error);
        return false;
    }
    rememberDirectory(path);
    updateTitle();
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(path)), 4000);
    return true;
}

QString MainWindow::lastDirectory() const
{
    const QString dir = settings().value(kDirectoryKey).toString();
    if (!dir.isEmpty() && QFileInfo(dir).isDir())
        return dir;
    return QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
}

void MainWindow::rememberDirectory(const QString &path)
{
    QSettings s = settings();
    s.setValue(kDirectoryKey, QFileInfo(path).absolutePath());
}

void MainWindow::showChangesSinceSaved()
{
    const QString path = m_editor->filePath();
    const QString name = path.isEmpty() ? tr("template") : QFileInfo(path).fileName();
    JsonDiffDialog dialog(this);
    dialog.setWindowTitle(tr("Changes Since Saved"));
    dialog.setTexts(m_editor->savedText(), m_editor->jsonText(), tr("%1 (saved)").arg(name),
                    tr("%1 (editor)").arg(name));
    dialog.exec();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    QSettings s = settings();
    s.setValue(kGeometryKey, saveGeometry());
    s.setValue(kStateKey, saveState());
    if (auto *splitter = m_editor->findChild<QSplitter *>(QStringLiteral("editorSplitter")))
        s.setValue(kSplitterKey, splitter->saveState());
    event->accept();
}

// ---- validation and launch -------------------------------------------------------------------

void MainWindow::validate()
{
    setPage(Page::Apps);
    m_editor->validateNow();
    const auto issues = m_editor->issues();
    if (m_editor->hasSyntaxError()) {
        const auto e = m_editor->syntaxError();
        statusBar()->showMessage(
            tr("Syntax error at line %1, column %2: %3").arg(e.line).arg(e.column).arg(e.message),
            8000);
        m_editor->focusPath(QStringLiteral("#syntax"));
    } else if (!issues.isEmpty()) {
        statusBar()->showMessage(
            tr("Problems found: %1. They are marked on their fields.").arg(issues.size()), 8000);
        m_editor->focusPath(issues.first().path);
    } else {
        statusBar()->showMessage(tr("No problems found: Marathon should accept this definition."),
                                 8000);
    }
}

void MainWindow::launch()
{
    if (m_launching)
        return;
    setPage(Page::Apps);
    m_editor->validateNow();
    if (m_editor->hasSyntaxError()) {
        const auto e = m_editor->syntaxError();
        showLaunchState(Tone::Problem,
                        tr("Not launched: the JSON text has a syntax error at line %1, column "
                           "%2. Fix it, then launch again.")
                            .arg(e.line)
                            .arg(e.column),
                        false);
        return;
    }
    const auto issues = m_editor->issues();
    if (!issues.isEmpty()) {
        MessageBox::Question q;
        q.icon = QMessageBox::Warning;
        q.title = tr("Launch with problems?");
        q.text = tr("Marathon will probably reject this definition (problems found: %1).")
                     .arg(issues.size());
        q.informativeText = tr("They are marked on the fields and listed under the form. "
                               "Launch anyway?");
        q.buttons = {MessageBox::Yes, MessageBox::No};
        q.buttonText.insert(MessageBox::Yes, tr("Launch Anyway"));
        q.buttonText.insert(MessageBox::No, tr("Don't Launch"));
        q.defaultButton = MessageBox::No;
        q.escapeButton = MessageBox::No;
        if (MessageBox::ask(this, q) != MessageBox::Yes) {
            showLaunchState(Tone::Problem,
                            tr("Not launched: fix the problems marked in the form first."), false);
            m_editor->focusPath(issues.first().path);
            return;
        }
    }
    m_launching = true;
    m_launchAction->setEnabled(false);
    const QString id = m_editor->definition().absoluteId();
    showLaunchState(Tone::Neutral,
                    m_marathonUrl.isEmpty() ? tr("Launching %1…").arg(id)
                                            : tr("Launching %1 on %2…").arg(id, m_marathonUrl),
                    true);
    emit launchRequested(m_editor->definition(), false);
}

void MainWindow::setLaunchProgress(const QString &text, int done, int total)
{
    showLaunchState(Tone::Neutral, text, true);
    if (total > 0) {
        m_launchBusy->setRange(0, total);
        m_launchBusy->setValue(std::clamp(done, 0, total));
        m_launchBusy->setFormat(tr("%1/%2 tasks").arg(std::max(done, 0)).arg(total));
    }
}

void MainWindow::setLaunchFinished(bool ok, const QString &message)
{
    m_launching = false;
    m_launchAction->setEnabled(true);
    showLaunchState(ok ? Tone::Ok : Tone::Problem, message, false);
    emit launchFinished(ok, message);
}

bool MainWindow::askForce(const QStringList &deploymentIds)
{
    MessageBox::Question q;
    q.icon = QMessageBox::Warning;
    q.title = tr("Marathon is busy with this app");
    q.text = tr("Marathon is still running deployment %1 for this app, so it refused the launch.")
                 .arg(deploymentIds.join(QStringLiteral(", ")));
    q.informativeText =
        tr("Forcing replaces that deployment with this launch: instances it was starting or "
           "stopping are left as they are. Or wait for it to finish and launch again.");
    q.buttons = {MessageBox::Yes, MessageBox::No};
    q.buttonText.insert(MessageBox::Yes, tr("Force Launch"));
    q.buttonText.insert(MessageBox::No, tr("Don't Launch"));
    q.defaultButton = MessageBox::No;
    q.escapeButton = MessageBox::No;
    return MessageBox::ask(this, q) == MessageBox::Yes;
}

void MainWindow::launchLocked(const QStringList &deploymentIds)
{
    setPage(Page::Apps);
    if (!askForce(deploymentIds)) {
        setLaunchFinished(false,
                          tr("Not launched: Marathon is busy with deployment %1. Wait for it to "
                             "finish, then launch again (or launch and choose Force).")
                              .arg(deploymentIds.join(QStringLiteral(", "))));
        return;
    }
    m_launching = true;
    m_launchAction->setEnabled(false);
    showLaunchState(Tone::Neutral,
                    tr("Launching %1 with force…").arg(m_editor->definition().absoluteId()), true);
    emit launchRequested(m_editor->definition(), true);
}

void MainWindow::showServerErrors(const QList<pier::FieldError> &errors, const QString &message)
{
    setPage(Page::Apps);
    m_editor->setServerErrors(errors);
    setLaunchFinished(false, message.isEmpty()
                                 ? tr("Marathon rejected the definition: fix the marked fields "
                                      "and launch again.")
                                 : message);
    if (!errors.isEmpty())
        m_editor->focusPath(errors.first().path);
}

QString MainWindow::updateDiff(const QJsonObject &runningApp) const
{
    return unifiedDiff(comparable(runningApp), comparable(m_editor->definition().json()),
                       tr("on Marathon"), tr("this definition"));
}

bool MainWindow::confirmUpdate(const QJsonObject &runningApp)
{
    const QString id = m_editor->definition().absoluteId();
    return JsonDiffDialog::confirm(
        this, tr("Update %1?").arg(id),
        tr("%1 already runs on Marathon. Updating replaces its tasks with new ones made from "
           "this definition. These are the changes (Marathon's defaults filled in on both "
           "sides):")
            .arg(id),
        comparable(runningApp), comparable(m_editor->definition().json()), tr("on Marathon"),
        tr("this definition"), tr("Update"));
}

void MainWindow::showLaunchState(Tone tone, const QString &text, bool busy)
{
    m_launchStatus->setText(text);
    setAccent(m_launchStatus, toAccent(tone));
    const QStyle::StandardPixmap icon = tone == Tone::Ok        ? QStyle::SP_DialogApplyButton
                                        : tone == Tone::Problem ? QStyle::SP_MessageBoxWarning
                                                                : QStyle::SP_MessageBoxInformation;
    m_launchIcon->setPixmap(style()->standardIcon(icon).pixmap(24, 24));
    m_launchIcon->setAccessibleName(tone == Tone::Ok        ? tr("Succeeded")
                                    : tone == Tone::Problem ? tr("Problem")
                                                            : tr("Information"));
    if (busy && !m_launchBusy->isVisible()) {
        m_launchBusy->setRange(0, 0); // busy until a count arrives
        m_launchBusy->setTextVisible(true);
    }
    m_launchBusy->setVisible(busy);
    m_cancelButton->setVisible(busy);
    m_launchButton->setEnabled(!busy);
}

void MainWindow::setConnectionState(const QString &url, const QString &state, Tone tone)
{
    m_marathonUrl = url;
    const QString where =
        url.isEmpty() ? tr("Marathon: %1").arg(state) : tr("Marathon %1: %2").arg(url, state);
    m_connection->setText(where);
    m_connection->setToolTip(tr("The Marathon this window launches apps on, and whether it "
                                "answers."));
    setAccent(m_connection, toAccent(tone));
}

void MainWindow::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        reapplyAccents(this);
    QMainWindow::changeEvent(event);
}

} // namespace pier::ui
