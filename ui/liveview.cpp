#include "ui/liveview.h"

#include "diagnosis/diagnosisjob.h"
#include "marathon/livemodel.h"
#include "marathon/marathonclient.h"
#include "mesos/mesosclient.h"
#include "ui/accents.h"
#include "ui/liveappsmodel.h"
#include "ui/livechart.h"
#include "ui/messagebox.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace pier::ui {

using marathon::LiveModel;
using marathon::MarathonReply;

namespace {

// The health column: a bar (healthy / unhealthy / running without a verdict / missing) with
// the same facts in words on top of it.
class HealthBarDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *p, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override
    {
        QStyleOptionViewItem opt = option;
        initStyleOption(&opt, index);
        const QString text = opt.text;
        opt.text.clear();
        opt.widget->style()->drawControl(QStyle::CE_ItemViewItem, &opt, p, opt.widget);
        const QList<int> v = index.data(LiveAppsModel::HealthRole).value<QList<int>>();
        if (v.size() == 4) {
            const int running = v[0], healthy = v[1], unhealthy = v[2];
            const int total = std::max({v[3], running, 1});
            const QRect bar = opt.rect.adjusted(3, opt.rect.height() - 7, -3, -3);
            const QPalette pal = opt.palette;
            p->save();
            p->fillRect(bar, pal.color(QPalette::Midlight));
            int x = bar.left();
            auto seg = [&](int n, const QColor &c) {
                const int w = bar.width() * n / total;
                p->fillRect(QRect(x, bar.top(), w, bar.height()), c);
                x += w;
            };
            seg(healthy, okColor(pal));
            seg(unhealthy, errorColor(pal));
            seg(std::max(0, running - healthy - unhealthy), pal.color(QPalette::Dark));
            p->restore();
        }
        p->save();
        const QVariant fg = index.data(Qt::ForegroundRole);
        p->setPen(fg.isValid() ? fg.value<QColor>()
                               : opt.palette.color(opt.state & QStyle::State_Selected
                                                       ? QPalette::HighlightedText
                                                       : QPalette::Text));
        p->drawText(opt.rect.adjusted(4, 0, -4, -7), Qt::AlignLeft | Qt::AlignVCenter,
                    opt.fontMetrics.elidedText(text, Qt::ElideRight, opt.rect.width() - 8));
        p->restore();
    }

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        QSize s = QStyledItemDelegate::sizeHint(option, index);
        s.setHeight(s.height() + 6);
        return s;
    }
};

QString shortId(const QString &id)
{
    return id.left(8);
}

QTableWidgetItem *item(const QString &text, const QString &tooltip = {})
{
    auto *i = new QTableWidgetItem(text);
    i->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    if (!tooltip.isEmpty())
        i->setToolTip(tooltip);
    return i;
}

QString stateWords(const QString &state)
{
    QString s = state;
    if (s.startsWith(QLatin1String("TASK_")))
        s = s.mid(5);
    s = s.toLower();
    if (!s.isEmpty())
        s[0] = s[0].toUpper();
    return s;
}

QTableWidget *makeTable(const QStringList &headers)
{
    auto *t = new QTableWidget(0, int(headers.size()));
    t->setHorizontalHeaderLabels(headers);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setSelectionMode(QAbstractItemView::SingleSelection);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->verticalHeader()->hide();
    t->horizontalHeader()->setStretchLastSection(true);
    t->setAlternatingRowColors(true);
    t->setWordWrap(false);
    return t;
}

} // namespace

LiveView::LiveView(LiveModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_client(model->client())
{
    m_apps = new LiveAppsModel(model, this);
    buildUi();
    connect(model, &LiveModel::statusChanged, this, &LiveView::updateStatus);
    connect(model, &LiveModel::appChanged, this, [this](const QString &id) {
        if (id == m_selected) {
            if (!m_tasksDirty) {
                m_tasksDirty = true;
                // Coalesce bursts: one rebuild per 100 ms at most.
                QTimer::singleShot(100, this, [this] {
                    m_tasksDirty = false;
                    refreshTasks();
                    refreshActions();
                });
            }
        }
    });
    connect(model, &LiveModel::appRemoved, this, [this](const QString &id) {
        if (id == m_selected)
            onSelectionChanged();
    });
    connect(model, &LiveModel::deploymentsChanged, this, &LiveView::refreshDeployments);
    connect(model, &LiveModel::deploymentsChanged, this, [this] {
        if (m_watchDeployment.isEmpty())
            return;
        for (const marathon::Deployment &d : m_model->deployments()) {
            if (d.id == m_watchDeployment)
                return;
        }
        setActionText(m_watchDone, int(Accent::Ok));
        m_watchDeployment.clear();
    });
    connect(model, &LiveModel::queueChanged, this, &LiveView::refreshTasks);
    m_ticker = new QTimer(this);
    connect(m_ticker, &QTimer::timeout, this, [this] {
        updateStatus();
        sampleChart();
        watchWaiting();
    });
    m_ticker->start(1000);
    updateStatus();
    onSelectionChanged();
}

LiveView::~LiveView() = default;

void LiveView::buildUi()
{
    auto *top = new QHBoxLayout;
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("liveStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_filter = new QLineEdit;
    m_filter->setObjectName(QStringLiteral("liveFilter"));
    m_filter->setPlaceholderText(tr("Filter apps (id contains…)"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setMinimumWidth(240);
    m_refresh = new QPushButton(tr("&Refresh"));
    m_refresh->setObjectName(QStringLiteral("liveRefresh"));
    m_refresh->setToolTip(tr("The view stays live by itself; this fetches everything again now."));
    top->addWidget(m_status, 1);
    top->addWidget(m_filter);
    top->addWidget(m_refresh);

    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_apps);
    m_proxy->setFilterKeyColumn(LiveAppsModel::Id);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_table = new QTableView;
    m_table->setObjectName(QStringLiteral("liveApps"));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(LiveAppsModel::Id, Qt::AscendingOrder);
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    m_table->setItemDelegateForColumn(LiveAppsModel::Health, new HealthBarDelegate(m_table));
    m_table->horizontalHeader()->setSectionResizeMode(LiveAppsModel::Id, QHeaderView::Stretch);
    for (int c = LiveAppsModel::Instances; c <= LiveAppsModel::Staged; ++c)
        m_table->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    m_table->setColumnWidth(LiveAppsModel::Health, 220);
    m_table->setColumnWidth(LiveAppsModel::Status, 230);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 14);

    // The selected app: title, actions, their progress.
    m_appTitle = new QLabel;
    m_appTitle->setObjectName(QStringLiteral("liveAppTitle"));
    QFont bold = m_appTitle->font();
    bold.setBold(true);
    m_appTitle->setFont(bold);
    m_instances = new QSpinBox;
    m_instances->setObjectName(QStringLiteral("liveInstances"));
    m_instances->setRange(0, 10000);
    m_instances->setAccessibleName(tr("Instances"));
    m_instances->setToolTip(tr("Type a number or step up and down, then Scale."));
    m_scale = new QPushButton(tr("&Scale"));
    m_scale->setObjectName(QStringLiteral("liveScale"));
    m_restart = new QPushButton(tr("Res&tart"));
    m_restart->setObjectName(QStringLiteral("liveRestart"));
    m_suspend = new QPushButton(tr("Sus&pend"));
    m_suspend->setObjectName(QStringLiteral("liveSuspend"));
    m_destroy = new QPushButton(tr("&Destroy…"));
    m_destroy->setObjectName(QStringLiteral("liveDestroy"));
    m_versions = new QComboBox;
    m_versions->setObjectName(QStringLiteral("liveVersions"));
    m_versions->setAccessibleName(tr("Earlier versions"));
    m_versions->setMinimumContentsLength(22);
    m_rollback = new QPushButton(tr("Roll &back"));
    m_rollback->setObjectName(QStringLiteral("liveRollback"));
    auto *actions = new QHBoxLayout;
    actions->addWidget(m_appTitle);
    actions->addSpacing(12);
    actions->addWidget(new QLabel(tr("Instances:")));
    actions->addWidget(m_instances);
    actions->addWidget(m_scale);
    actions->addWidget(m_restart);
    actions->addWidget(m_suspend);
    actions->addWidget(m_destroy);
    actions->addSpacing(12);
    actions->addWidget(m_versions);
    actions->addWidget(m_rollback);
    actions->addStretch(1);
    m_action = new QLabel;
    m_action->setObjectName(QStringLiteral("liveAction"));
    m_action->setWordWrap(true);
    m_action->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_tasks = makeTable({tr("Task"), tr("State"), tr("Health"), tr("Host:port"), tr("Started"),
                         tr("Version"), tr("Why")});
    m_tasks->setObjectName(QStringLiteral("liveTasks"));
    m_kill = new QPushButton(tr("&Kill task"));
    m_kill->setObjectName(QStringLiteral("liveKill"));
    m_kill->setToolTip(tr("Kill the selected task; Marathon starts a replacement."));
    m_killScale = new QPushButton(tr("Kill and scale &down"));
    m_killScale->setObjectName(QStringLiteral("liveKillScale"));
    m_killScale->setToolTip(tr("Kill the selected task and lower the instance count by one."));
    m_failure = new QLabel;
    m_failure->setObjectName(QStringLiteral("liveFailure"));
    m_failure->setWordWrap(true);
    m_failure->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_why = new QPushButton(tr("&Why is it waiting?"));
    m_why->setObjectName(QStringLiteral("liveWhy"));
    m_why->setToolTip(tr("Explain from Marathon's and Mesos's state what keeps this app from "
                         "running all its instances."));
    auto *taskButtons = new QHBoxLayout;
    taskButtons->addWidget(m_kill);
    taskButtons->addWidget(m_killScale);
    taskButtons->addWidget(m_failure, 1);
    taskButtons->addWidget(m_why);
    m_diagnosis = new QLabel;
    m_diagnosis->setObjectName(QStringLiteral("liveDiagnosis"));
    m_diagnosis->setWordWrap(true);
    m_diagnosis->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_diagnosis->setVisible(false);
    m_resetDelay = new QPushButton(tr("Reset the launch &delay"));
    m_resetDelay->setObjectName(QStringLiteral("liveResetDelay"));
    m_resetDelay->setToolTip(tr("Marathon waits longer after each failed launch; this makes it "
                                "launch the next task at once."));
    m_resetDelay->setVisible(false);
    auto *diagnosisRow = new QHBoxLayout;
    diagnosisRow->addWidget(m_diagnosis, 1);
    diagnosisRow->addWidget(m_resetDelay, 0, Qt::AlignTop);

    m_deployments = makeTable({tr("Deployment"), tr("Apps"), tr("Progress"), tr("Now doing")});
    m_deployments->setObjectName(QStringLiteral("liveDeployments"));
    m_deployments->setMaximumHeight(130);
    m_cancelRollback = new QPushButton(tr("Cancel and roll &back"));
    m_cancelRollback->setObjectName(QStringLiteral("liveCancelRollback"));
    m_cancelKeep = new QPushButton(tr("Cancel, keep &as is"));
    m_cancelKeep->setObjectName(QStringLiteral("liveCancelKeep"));
    m_cancelKeep->setToolTip(tr("Stop the deployment where it is, without rolling back."));
    auto *deployButtons = new QVBoxLayout;
    deployButtons->addWidget(m_cancelRollback);
    deployButtons->addWidget(m_cancelKeep);
    deployButtons->addStretch(1);

    m_chart = new LiveChart;
    m_chart->setObjectName(QStringLiteral("liveChart"));

    auto *lower = new QWidget;
    auto *lowerLayout = new QVBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 0, 0, 0);
    lowerLayout->addLayout(actions);
    lowerLayout->addWidget(m_action);
    lowerLayout->addWidget(m_tasks, 2);
    lowerLayout->addLayout(taskButtons);
    lowerLayout->addLayout(diagnosisRow);
    auto *bottom = new QHBoxLayout;
    auto *deployBox = new QVBoxLayout;
    deployBox->addWidget(new QLabel(tr("Deployments in progress")));
    auto *deployRow = new QHBoxLayout;
    deployRow->addWidget(m_deployments, 1);
    deployRow->addLayout(deployButtons);
    deployBox->addLayout(deployRow);
    bottom->addLayout(deployBox, 3);
    bottom->addWidget(m_chart, 2);
    lowerLayout->addLayout(bottom, 1);

    auto *split = new QSplitter(Qt::Vertical);
    split->addWidget(m_table);
    split->addWidget(lower);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(split, 1);

    connect(m_filter, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_refresh, &QPushButton::clicked, this, [this] {
        if (m_model)
            m_model->refresh();
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &LiveView::onSelectionChanged);
    connect(m_tasks, &QTableWidget::itemSelectionChanged, this, &LiveView::refreshActions);
    connect(m_deployments, &QTableWidget::itemSelectionChanged, this, &LiveView::refreshActions);
    connect(m_scale, &QPushButton::clicked, this, &LiveView::scale);
    connect(m_instances, &QSpinBox::editingFinished, this, [this] {
        if (m_instances->hasFocus() && m_model && m_model->hasApp(m_selected) &&
            m_instances->value() != m_model->app(m_selected).instances)
            scale();
    });
    connect(m_restart, &QPushButton::clicked, this, &LiveView::restart);
    connect(m_suspend, &QPushButton::clicked, this, &LiveView::suspend);
    connect(m_destroy, &QPushButton::clicked, this, &LiveView::destroy);
    connect(m_kill, &QPushButton::clicked, this, [this] { killSelectedTask(false); });
    connect(m_killScale, &QPushButton::clicked, this, [this] { killSelectedTask(true); });
    connect(m_rollback, &QPushButton::clicked, this, &LiveView::rollback);
    connect(m_cancelRollback, &QPushButton::clicked, this, [this] { cancelDeployment(true); });
    connect(m_cancelKeep, &QPushButton::clicked, this, [this] { cancelDeployment(false); });
    connect(m_why, &QPushButton::clicked, this, &LiveView::diagnose);
    connect(m_resetDelay, &QPushButton::clicked, this, &LiveView::resetDelay);
    // Selecting the first app that appears, so the page is never empty below.
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_selected.isEmpty() && m_proxy->rowCount() > 0)
            m_table->selectRow(0);
    });
}

QString LiveView::selectedApp() const
{
    return m_selected;
}

void LiveView::selectApp(const QString &appId)
{
    const int row = m_apps->rowOf(appId);
    if (row < 0)
        return;
    const QModelIndex index = m_proxy->mapFromSource(m_apps->index(row, 0));
    if (index.isValid())
        m_table->selectRow(index.row());
}

QString LiveView::statusLine() const
{
    return m_status->text();
}

QString LiveView::actionResult() const
{
    return m_action->text();
}

void LiveView::updateStatus()
{
    if (!m_model)
        return;
    m_status->setText(m_model->statusText());
    setAccent(m_status, m_model->isStale() ? Accent::Error : Accent::None);
}

void LiveView::onSelectionChanged()
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    const QString id =
        rows.isEmpty() ? QString() : rows.first().data(LiveAppsModel::AppIdRole).toString();
    const bool changed = id != m_selected;
    m_selected = m_model && m_model->hasApp(id) ? id : QString();
    if (changed) {
        m_chart->clear();
        m_chart->setTitle(m_selected.isEmpty() ? tr("All apps") : m_selected);
        if (m_model && m_model->hasApp(m_selected))
            m_instances->setValue(m_model->app(m_selected).instances);
        sampleChart();
    }
    m_appTitle->setText(m_selected.isEmpty() ? tr("No app selected") : m_selected);
    if (changed) {
        m_waitingSince = {};
        m_lastDiagnosis = {};
        m_diagnosedApp.clear();
        m_diagnosis->clear();
        m_diagnosis->setVisible(false);
        m_resetDelay->setVisible(false);
    }
    refreshTasks();
    refreshDeployments();
    refreshActions();
    if (!m_selected.isEmpty() && m_versionsFor != m_selected)
        loadVersions(m_selected);
}

void LiveView::refreshActions()
{
    const bool app = m_model && m_model->hasApp(m_selected);
    for (QWidget *w : {static_cast<QWidget *>(m_instances), static_cast<QWidget *>(m_scale),
                       static_cast<QWidget *>(m_restart), static_cast<QWidget *>(m_suspend),
                       static_cast<QWidget *>(m_destroy)})
        w->setEnabled(app && !m_busy);
    m_rollback->setEnabled(app && !m_busy && m_versions->count() > 0);
    m_versions->setEnabled(app && m_versions->count() > 0);
    const bool task = app && !m_tasks->selectedItems().isEmpty();
    m_kill->setEnabled(task && !m_busy);
    m_killScale->setEnabled(task && !m_busy);
    m_why->setEnabled(app && !m_job);
    m_resetDelay->setEnabled(app && !m_busy);
    const bool deployment = !m_deployments->selectedItems().isEmpty();
    m_cancelRollback->setEnabled(deployment && !m_busy);
    m_cancelKeep->setEnabled(deployment && !m_busy);
}

void LiveView::refreshTasks()
{
    const QString previous =
        m_tasks->currentRow() >= 0 && m_tasks->item(m_tasks->currentRow(), 0)
            ? m_tasks->item(m_tasks->currentRow(), 0)->data(Qt::UserRole).toString()
            : QString();
    if (!m_model || !m_model->hasApp(m_selected)) {
        m_tasks->setRowCount(0);
        m_failure->clear();
        return;
    }
    const marathon::MarathonApp app = m_model->app(m_selected);
    if (!m_instances->hasFocus() && !m_busy)
        m_instances->setValue(app.instances);
    const QPalette pal = palette();
    const int shown = int(std::min<qsizetype>(app.tasks.size(), 500));
    m_tasks->setUpdatesEnabled(false);
    m_tasks->setRowCount(shown);
    int select = -1;
    for (int row = 0; row < shown; ++row) {
        const marathon::MarathonTask &t = app.tasks.at(row);
        auto *id = item(t.id, t.id);
        id->setData(Qt::UserRole, t.id);
        m_tasks->setItem(row, 0, id);
        const QString state = t.effectiveState();
        auto *stateItem = item(stateWords(state), state);
        if (state == QLatin1String("TASK_RUNNING"))
            stateItem->setForeground(okColor(pal));
        else if (state != QLatin1String("TASK_STAGING") && state != QLatin1String("TASK_STARTING"))
            stateItem->setForeground(errorColor(pal));
        m_tasks->setItem(row, 1, stateItem);
        const QString health = marathon::taskHealthText(t);
        QString why;
        for (const marathon::HealthCheckResult &h : t.healthCheckResults) {
            if (!h.alive && !h.lastFailureCause.isEmpty())
                why = tr("health check: %1").arg(h.lastFailureCause);
        }
        auto *healthItem =
            item(health.isEmpty()
                     ? (t.healthCheckResults.isEmpty() &&
                                !t.json.contains(QLatin1String("healthCheckResults"))
                            ? tr("no checks")
                            : tr("not checked yet"))
                     : (health == QLatin1String("healthy") ? tr("Healthy") : tr("Unhealthy")));
        if (health == QLatin1String("healthy"))
            healthItem->setForeground(okColor(pal));
        else if (health == QLatin1String("unhealthy"))
            healthItem->setForeground(errorColor(pal));
        m_tasks->setItem(row, 2, healthItem);
        QStringList links;
        for (int port : t.ports) {
            links << QStringLiteral("<a href=\"http://%1:%2/\">%1:%2</a>")
                         .arg(t.host.toHtmlEscaped())
                         .arg(port);
        }
        if (links.isEmpty())
            links << t.host.toHtmlEscaped();
        auto *hostItem = item(QString(), t.host);
        m_tasks->setItem(row, 3, hostItem);
        auto *label = qobject_cast<QLabel *>(m_tasks->cellWidget(row, 3));
        if (!label) {
            label = new QLabel;
            label->setOpenExternalLinks(true);
            label->setTextInteractionFlags(Qt::LinksAccessibleByMouse |
                                           Qt::LinksAccessibleByKeyboard);
            label->setContentsMargins(4, 0, 4, 0);
            m_tasks->setCellWidget(row, 3, label);
        }
        label->setText(links.join(QStringLiteral(", ")));
        label->setToolTip(tr("Service ports: %1").arg([&t] {
            QStringList s;
            for (int p : t.servicePorts)
                s << QString::number(p);
            return s.isEmpty() ? QStringLiteral("none") : s.join(QStringLiteral(", "));
        }()));
        m_tasks->setItem(
            row, 4,
            item(t.startedAt.isValid()
                     ? QLocale().toString(t.startedAt.toLocalTime(), QLocale::ShortFormat)
                     : tr("staged %1")
                           .arg(QLocale().toString(t.stagedAt.toLocalTime().time(),
                                                   QLocale::ShortFormat)),
                 marathon::formatMarathonDate(t.startedAt.isValid() ? t.startedAt : t.stagedAt)));
        m_tasks->setItem(row, 5,
                         item(t.version == app.version ? tr("current") : t.version, t.version));
        m_tasks->setItem(row, 6, item(why, why));
        if (t.id == previous)
            select = row;
    }
    if (select >= 0)
        m_tasks->selectRow(select);
    m_tasks->resizeColumnToContents(1);
    m_tasks->resizeColumnToContents(2);
    m_tasks->setColumnWidth(0, 300);
    m_tasks->setColumnWidth(3, 230);
    m_tasks->resizeColumnToContents(4);
    m_tasks->setUpdatesEnabled(true);

    // Why the last task failed, and whether Marathon waits before the next launch.
    QStringList failure;
    const QJsonObject f = app.lastTaskFailure;
    if (!f.isEmpty()) {
        const QDateTime when =
            marathon::parseMarathonDate(f.value(QLatin1String("timestamp")).toString());
        failure << tr("Last failure: %1 (%2 on %3, %4).")
                       .arg(f.value(QLatin1String("message")).toString().isEmpty()
                                ? tr("no message")
                                : f.value(QLatin1String("message")).toString(),
                            stateWords(f.value(QLatin1String("state")).toString()),
                            f.value(QLatin1String("host")).toString(),
                            QLocale().toString(when.toLocalTime(), QLocale::ShortFormat));
    }
    const std::optional<marathon::QueueEntry> q = m_model->queueEntry(m_selected);
    if (q && q->delaySeconds > 0)
        failure << tr("Marathon waits %1 s before the next launch (backoff after failures).")
                       .arg(q->delaySeconds);
    m_failure->setText(failure.join(QLatin1Char(' ')));
    setAccent(m_failure, failure.isEmpty() ? Accent::None : Accent::Error);
    if (app.tasks.size() > shown)
        m_failure->setText(m_failure->text() +
                           tr(" Showing %1 of %2 tasks.").arg(shown).arg(app.tasks.size()));
}

void LiveView::refreshDeployments()
{
    if (!m_model)
        return;
    const QString previous =
        m_deployments->currentRow() >= 0 && m_deployments->item(m_deployments->currentRow(), 0)
            ? m_deployments->item(m_deployments->currentRow(), 0)->data(Qt::UserRole).toString()
            : QString();
    QList<marathon::Deployment> list =
        m_selected.isEmpty() ? m_model->deployments() : m_model->deploymentsFor(m_selected);
    m_deployments->setRowCount(int(list.size()));
    int select = -1;
    for (int row = 0; row < list.size(); ++row) {
        const marathon::Deployment &d = list.at(row);
        auto *id = item(shortId(d.id), d.id);
        id->setData(Qt::UserRole, d.id);
        m_deployments->setItem(row, 0, id);
        m_deployments->setItem(row, 1, item(d.affectedApps.join(QStringLiteral(", "))));
        auto *bar = qobject_cast<QProgressBar *>(m_deployments->cellWidget(row, 2));
        if (!bar) {
            bar = new QProgressBar;
            m_deployments->setCellWidget(row, 2, bar);
        }
        bar->setRange(0, std::max(1, d.totalSteps));
        bar->setValue(std::min(d.currentStep, std::max(1, d.totalSteps)));
        bar->setFormat(tr("step %1 of %2").arg(d.currentStep).arg(d.totalSteps));
        QStringList now;
        for (const QJsonObject &a : d.currentActions) {
            const QString action = a.value(QLatin1String("action")).toString().isEmpty()
                                       ? a.value(QLatin1String("type")).toString()
                                       : a.value(QLatin1String("action")).toString();
            now << QStringLiteral("%1 %2").arg(action, a.value(QLatin1String("app")).toString());
        }
        m_deployments->setItem(row, 3, item(now.join(QStringLiteral("; "))));
        if (d.id == previous)
            select = row;
    }
    if (select >= 0)
        m_deployments->selectRow(select);
    m_deployments->setColumnWidth(2, 130);
    refreshActions();
}

void LiveView::sampleChart()
{
    if (!m_model || !m_model->isSynced())
        return;
    int running = 0, healthy = 0, instances = 0;
    const QList<marathon::MarathonApp> apps =
        m_selected.isEmpty() ? m_model->apps()
                             : QList<marathon::MarathonApp>{m_model->app(m_selected)};
    for (const marathon::MarathonApp &a : apps) {
        const marathon::AppCounts c = marathon::countsOf(a);
        running += c.running;
        healthy += c.healthy;
        instances += a.instances;
    }
    m_chart->addSample(QDateTime::currentDateTimeUtc(), running, healthy, instances);
}

void LiveView::loadVersions(const QString &appId)
{
    m_versionsFor = appId;
    m_versions->clear();
    if (!m_client)
        return;
    MarathonReply *r = m_client->listVersions(appId);
    connect(r, &MarathonReply::finished, this, [this, r, appId] {
        r->deleteLater();
        if (appId != m_selected || r->error().isError())
            return;
        const QString current = m_model ? m_model->app(appId).version : QString();
        m_versions->clear();
        const QStringList versions = r->versions();
        for (const QString &v : versions) {
            if (v == current)
                continue;
            const QDateTime t = marathon::parseMarathonDate(v);
            m_versions->addItem(
                t.isValid() ? tr("Version of %1")
                                  .arg(QLocale().toString(t.toLocalTime(), QLocale::ShortFormat))
                            : v,
                v);
            m_versions->setItemData(m_versions->count() - 1, v, Qt::ToolTipRole);
        }
        if (m_versions->count() == 0)
            m_versions->setPlaceholderText(tr("No earlier version"));
        refreshActions();
    });
}

void LiveView::setActionText(const QString &text, int accent)
{
    m_action->setText(text);
    setAccent(m_action, Accent(accent));
}

void LiveView::runAction(const QString &appId, const QString &doing, const QString &done,
                         const std::function<MarathonReply *(bool force)> &call)
{
    if (!m_client)
        return;
    m_busy = true;
    refreshActions();
    setActionText(doing + QStringLiteral("…"), int(Accent::None));
    auto attempt = std::make_shared<std::function<void(bool)>>();
    *attempt = [this, appId, doing, done, call, attempt](bool force) {
        MarathonReply *r = call(force);
        connect(r, &MarathonReply::finished, this, [this, r, appId, doing, done, force, attempt] {
            r->deleteLater();
            const ApiError &e = r->error();
            if (e.isError() && e.httpStatus == 409 && !force) {
                MessageBox::Question q;
                q.icon = QMessageBox::Warning;
                q.title = tr("App locked by a deployment");
                q.text = tr("%1 is being changed by a deployment in progress.").arg(appId);
                q.informativeText = tr("Do it anyway? Marathon then stops that deployment where it "
                                       "is and does this instead.");
                q.buttons = {MessageBox::Yes, MessageBox::Cancel};
                q.buttonText.insert(MessageBox::Yes, tr("Override"));
                q.defaultButton = MessageBox::Cancel;
                if (MessageBox::ask(this, q) == MessageBox::Yes) {
                    (*attempt)(true);
                    return;
                }
                m_busy = false;
                refreshActions();
                setActionText(tr("%1: not done, the app is locked by a deployment. Wait for it, or "
                                 "cancel it below.")
                                  .arg(doing),
                              int(Accent::Error));
                return;
            }
            m_busy = false;
            refreshActions();
            if (e.isError()) {
                setActionText(tr("%1 failed: %2").arg(doing, e.toText()), int(Accent::Error));
                return;
            }
            const marathon::DeploymentResult d = r->deploymentResult();
            if (!d.deploymentId.isEmpty()) {
                m_watchDeployment = d.deploymentId;
                m_watchDone = tr("%1: deployment %2 finished.").arg(done, shortId(d.deploymentId));
                setActionText(
                    tr("%1: deployment %2 in progress…").arg(done, shortId(d.deploymentId)),
                    int(Accent::None));
                // Already over by the time the answer came?
                bool running = false;
                if (m_model) {
                    for (const marathon::Deployment &x : m_model->deployments())
                        running = running || x.id == d.deploymentId;
                    m_model->refresh();
                }
                Q_UNUSED(running);
            } else {
                setActionText(tr("%1.").arg(done), int(Accent::Ok));
            }
        });
    };
    (*attempt)(false);
}

void LiveView::scale()
{
    const QString id = m_selected;
    const int n = m_instances->value();
    if (id.isEmpty())
        return;
    runAction(id, tr("Scaling %1 to %2").arg(id).arg(n), tr("Scaled %1 to %2").arg(id).arg(n),
              [this, id, n](bool force) { return m_client->scaleApp(id, n, force); });
}

void LiveView::restart()
{
    const QString id = m_selected;
    if (id.isEmpty())
        return;
    runAction(id, tr("Restarting %1").arg(id), tr("Restarted %1").arg(id),
              [this, id](bool force) { return m_client->restartApp(id, force); });
}

void LiveView::suspend()
{
    const QString id = m_selected;
    if (id.isEmpty())
        return;
    MessageBox::Question q;
    q.title = tr("Suspend app");
    q.text = tr("Suspend %1?").arg(id);
    q.informativeText = tr("Its %n task(s) stop; the app stays on Marathon with 0 instances, and "
                           "scaling it up starts it again.",
                           nullptr, int(m_model->app(id).tasks.size()));
    q.buttons = {MessageBox::Yes, MessageBox::Cancel};
    q.buttonText.insert(MessageBox::Yes, tr("Suspend"));
    q.defaultButton = MessageBox::Cancel;
    if (MessageBox::ask(this, q) != MessageBox::Yes)
        return;
    runAction(id, tr("Suspending %1").arg(id), tr("Suspended %1").arg(id),
              [this, id](bool force) { return m_client->suspendApp(id, force); });
}

void LiveView::destroy()
{
    const QString id = m_selected;
    if (id.isEmpty())
        return;
    MessageBox::Question q;
    q.icon = QMessageBox::Warning;
    q.title = tr("Destroy app");
    q.text = tr("Destroy %1?").arg(id);
    q.informativeText =
        tr("Marathon kills its tasks and forgets the app and its versions. This cannot be undone; "
           "to stop it for now, Suspend keeps the definition.");
    q.buttons = {MessageBox::Yes, MessageBox::Cancel};
    q.buttonText.insert(MessageBox::Yes, tr("Destroy %1").arg(id));
    q.defaultButton = MessageBox::Cancel;
    if (MessageBox::ask(this, q) != MessageBox::Yes) {
        setActionText(tr("%1 was not destroyed.").arg(id), int(Accent::None));
        return;
    }
    runAction(id, tr("Destroying %1").arg(id), tr("Destroyed %1").arg(id),
              [this, id](bool force) { return m_client->deleteApp(id, force); });
}

void LiveView::killSelectedTask(bool scale)
{
    const QString id = m_selected;
    const int row = m_tasks->currentRow();
    if (id.isEmpty() || row < 0 || !m_tasks->item(row, 0))
        return;
    const QString task = m_tasks->item(row, 0)->data(Qt::UserRole).toString();
    runAction(id,
              scale ? tr("Killing task %1 and scaling down").arg(task)
                    : tr("Killing task %1").arg(task),
              scale ? tr("Killed %1 and scaled %2 down").arg(task, id)
                    : tr("Killed %1; Marathon replaces it").arg(task),
              [this, id, task, scale](bool) { return m_client->killTask(id, task, scale); });
}

void LiveView::rollback()
{
    const QString id = m_selected;
    const QString version = m_versions->currentData().toString();
    if (id.isEmpty() || version.isEmpty())
        return;
    runAction(id, tr("Rolling %1 back to %2").arg(id, version),
              tr("Rolled %1 back to %2").arg(id, version), [this, id, version](bool force) {
                  return m_client->rollbackApp(id, version, force);
              });
    m_versionsFor.clear();
}

void LiveView::cancelDeployment(bool rollback)
{
    const int row = m_deployments->currentRow();
    if (row < 0 || !m_deployments->item(row, 0))
        return;
    const QString dep = m_deployments->item(row, 0)->data(Qt::UserRole).toString();
    const QString apps = m_deployments->item(row, 1)->text();
    runAction(apps,
              rollback ? tr("Cancelling deployment %1 and rolling back").arg(shortId(dep))
                       : tr("Cancelling deployment %1").arg(shortId(dep)),
              rollback
                  ? tr("Cancelled deployment %1; rolling %2 back").arg(shortId(dep), apps)
                  : tr("Cancelled deployment %1; %2 stays as it is now").arg(shortId(dep), apps),
              [this, dep, rollback](bool) { return m_client->cancelDeployment(dep, rollback); });
}

} // namespace pier::ui

namespace pier::ui {

void LiveView::setMesosUrl(const QUrl &url)
{
    m_mesosUrl = url;
    m_mesos.reset();
}

QString LiveView::diagnosisText() const
{
    return m_diagnosis->text();
}

bool LiveView::selectedAppWaits() const
{
    if (!m_model || !m_model->hasApp(m_selected))
        return false;
    const marathon::MarathonApp app = m_model->app(m_selected);
    int running = 0;
    for (const marathon::MarathonTask &t : app.tasks)
        running += t.effectiveState() == QLatin1String("TASK_RUNNING") ? 1 : 0;
    return !m_model->deploymentsFor(m_selected).isEmpty() || running < app.instances ||
           m_model->queueEntry(m_selected).has_value();
}

// A deployment that has not progressed for a while gets its explanation without being asked,
// refreshed every 15 s while it waits; one that ends takes its explanation with it.
void LiveView::watchWaiting()
{
    if (!selectedAppWaits()) {
        m_waitingSince = {};
        if (m_diagnosis->isVisible() && !m_job) {
            m_diagnosis->clear();
            m_diagnosis->setVisible(false);
            m_resetDelay->setVisible(false);
        }
        return;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (!m_waitingSince.isValid())
        m_waitingSince = now;
    if (m_job || m_waitingSince.msecsTo(now) < 8000)
        return;
    if (m_lastDiagnosis.isValid() && m_lastDiagnosis.msecsTo(now) < 15000)
        return;
    diagnose();
}

void LiveView::diagnose()
{
    if (!m_client || !m_model || !m_model->hasApp(m_selected) || m_job)
        return;
    if (!m_mesos) {
        mesos::MesosConfig config;
        config.url =
            m_mesosUrl.isValid() ? m_mesosUrl : diagnosis::defaultMesosUrl(m_client->currentUrl());
        config.timeoutMs = 5000;
        config.socksProxy = m_client->config().socksProxy; // the same way into the network
        m_mesos = std::make_unique<mesos::MesosClient>(config);
    }
    const QString appId = m_selected;
    m_job = new diagnosis::DiagnosisJob(m_client, m_mesos.get(), appId, this);
    m_lastDiagnosis = QDateTime::currentDateTimeUtc();
    if (m_diagnosedApp != appId || m_diagnosis->text().isEmpty()) {
        m_diagnosis->setText(tr("Looking at Marathon's and Mesos's state…"));
        setAccent(m_diagnosis, Accent::None);
        m_diagnosis->setVisible(true);
    }
    refreshActions();
    connect(m_job, &diagnosis::DiagnosisJob::finished, this, [this, appId] {
        diagnosis::DiagnosisJob *job = m_job;
        job->deleteLater();
        m_job = nullptr;
        refreshActions();
        if (appId != m_selected)
            return;
        m_diagnosedApp = appId;
        m_diagnosis->setVisible(true);
        if (job->error()) {
            m_diagnosis->setText(tr("Could not ask Marathon: %1").arg(job->error().toText()));
            setAccent(m_diagnosis, Accent::Error);
            m_resetDelay->setVisible(false);
            return;
        }
        const diagnosis::Diagnosis &d = job->diagnosis();
        QString text = d.text().trimmed();
        if (!job->input().mesosError.isEmpty() &&
            d.kind != diagnosis::Diagnosis::Kind::NothingWaiting)
            text += QLatin1Char('\n') +
                    tr("(Mesos's state was not available: %1. The profile's Mesos address "
                       "gives the numbers per agent.)")
                        .arg(job->input().mesosError);
        m_diagnosis->setText(text);
        const bool blocked = d.kind != diagnosis::Diagnosis::Kind::NothingWaiting &&
                             d.kind != diagnosis::Diagnosis::Kind::Progressing;
        setAccent(m_diagnosis, blocked ? Accent::Error : Accent::None);
        bool canReset = false;
        for (const diagnosis::Action &a : d.actions)
            canReset = canReset || a.id == QLatin1String("reset-delay");
        m_resetDelay->setVisible(canReset);
    });
    m_job->start();
}

void LiveView::resetDelay()
{
    if (!m_client || m_selected.isEmpty())
        return;
    const QString appId = m_selected;
    m_busy = true;
    refreshActions();
    setActionText(tr("Resetting the launch delay of %1…").arg(appId), int(Accent::None));
    MarathonReply *r = m_client->resetDelay(appId);
    connect(r, &MarathonReply::finished, this, [this, r, appId] {
        r->deleteLater();
        m_busy = false;
        refreshActions();
        const ApiError &e = r->error();
        if (e.isError() && e.httpStatus == 404) {
            setActionText(tr("%1 has no launch delay to reset: it is not waiting in the launch "
                             "queue.")
                              .arg(appId),
                          int(Accent::None));
        } else if (e.isError()) {
            setActionText(tr("Resetting the launch delay failed: %1").arg(e.toText()),
                          int(Accent::Error));
        } else {
            setActionText(tr("Reset the launch delay of %1: Marathon launches the next task at "
                             "once. If the cause is not fixed, it will fail again.")
                              .arg(appId),
                          int(Accent::Ok));
            m_resetDelay->setVisible(false);
            if (m_model)
                m_model->refresh();
        }
    });
}

} // namespace pier::ui
