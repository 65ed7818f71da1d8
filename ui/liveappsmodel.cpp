#include "ui/liveappsmodel.h"

#include "marathon/livemodel.h"

#include <QApplication>
#include <QJsonArray>
#include <QPalette>

#include <algorithm>

namespace pier::ui {

using marathon::LiveModel;

LiveAppsModel::LiveAppsModel(LiveModel *model, QObject *parent)
    : QAbstractTableModel(parent), m_model(model)
{
    m_ids = model->appIds();
    connect(model, &LiveModel::appAdded, this, &LiveAppsModel::onAdded);
    connect(model, &LiveModel::appChanged, this, &LiveAppsModel::onChanged);
    connect(model, &LiveModel::appRemoved, this, &LiveAppsModel::onRemoved);
    auto refreshStatusColumn = [this] {
        if (!m_ids.isEmpty())
            emit dataChanged(index(0, Status), index(int(m_ids.size()) - 1, Status));
    };
    connect(model, &LiveModel::deploymentsChanged, this, refreshStatusColumn);
    connect(model, &LiveModel::queueChanged, this, refreshStatusColumn);
    connect(model, &LiveModel::statusChanged, this, [this] {
        if (m_model->isStale() == m_stale)
            return;
        m_stale = m_model->isStale();
        if (!m_ids.isEmpty())
            emit dataChanged(index(0, 0), index(int(m_ids.size()) - 1, ColumnCount - 1),
                             {Qt::ForegroundRole});
    });
}

int LiveAppsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_ids.size());
}

int LiveAppsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

int LiveAppsModel::rowOf(const QString &appId) const
{
    const auto it = std::lower_bound(m_ids.begin(), m_ids.end(), appId);
    return it != m_ids.end() && *it == appId ? int(it - m_ids.begin()) : -1;
}

QString LiveAppsModel::statusOf(const LiveModel &model, const QString &appId)
{
    const marathon::MarathonApp app = model.app(appId);
    const QList<marathon::Deployment> deployments = model.deploymentsFor(appId);
    const std::optional<marathon::QueueEntry> queued = model.queueEntry(appId);
    if (queued && queued->delaySeconds > 0)
        return tr("Waiting: launch delayed %1 s after failures").arg(queued->delaySeconds);
    if (!deployments.isEmpty()) {
        const marathon::Deployment &d = deployments.first();
        return tr("Deploying (step %1 of %2)").arg(d.currentStep).arg(d.totalSteps);
    }
    if (queued && queued->count > 0)
        return tr("Waiting for offers (%1 to launch)").arg(queued->count);
    if (app.instances == 0)
        return tr("Suspended");
    const marathon::AppCounts c = marathon::countsOf(app);
    if (c.running < app.instances)
        return tr("Starting");
    return tr("Running");
}

QVariant LiveAppsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !m_model || index.row() >= m_ids.size())
        return {};
    const QString &id = m_ids.at(index.row());
    if (role == AppIdRole)
        return id;
    if (role == Qt::ForegroundRole) {
        if (m_stale)
            return QApplication::palette().color(QPalette::Disabled, QPalette::Text);
        return {};
    }
    if (role == Qt::TextAlignmentRole && index.column() >= Instances && index.column() <= Staged)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    const marathon::MarathonApp app = m_model->app(id);
    const marathon::AppCounts c = marathon::countsOf(app);
    if (role == HealthRole)
        return QVariant::fromValue(QList<int>{c.running, c.healthy, c.unhealthy, app.instances});
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole && role != Qt::AccessibleTextRole)
        return {};
    switch (Column(index.column())) {
    case Id:
        return id;
    case Instances:
        return app.instances;
    case Running:
        return c.running;
    case Healthy:
        return c.healthy;
    case Unhealthy:
        return c.unhealthy;
    case Staged:
        return c.staged;
    case Health: {
        const bool hasChecks =
            !app.definition.json().value(QLatin1String("healthChecks")).toArray().isEmpty();
        if (!hasChecks)
            return tr("%1 of %2 running, no health checks").arg(c.running).arg(app.instances);
        if (c.unhealthy > 0)
            return tr("%1 of %2 healthy, %3 unhealthy")
                .arg(c.healthy)
                .arg(app.instances)
                .arg(c.unhealthy);
        return tr("%1 of %2 healthy").arg(c.healthy).arg(app.instances);
    }
    case Status:
        return statusOf(*m_model, id);
    case ColumnCount:
        break;
    }
    return {};
}

QVariant LiveAppsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Id:
        return tr("App");
    case Instances:
        return tr("Instances");
    case Running:
        return tr("Running");
    case Healthy:
        return tr("Healthy");
    case Unhealthy:
        return tr("Unhealthy");
    case Staged:
        return tr("Staged");
    case Health:
        return tr("Health");
    case Status:
        return tr("Status");
    case ColumnCount:
        break;
    }
    return {};
}

void LiveAppsModel::onAdded(const QString &appId)
{
    if (rowOf(appId) >= 0)
        return onChanged(appId);
    const auto it = std::lower_bound(m_ids.begin(), m_ids.end(), appId);
    const int row = int(it - m_ids.begin());
    beginInsertRows({}, row, row);
    m_ids.insert(row, appId);
    endInsertRows();
}

void LiveAppsModel::onChanged(const QString &appId)
{
    const int row = rowOf(appId);
    if (row < 0)
        return onAdded(appId);
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void LiveAppsModel::onRemoved(const QString &appId)
{
    const int row = rowOf(appId);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_ids.removeAt(row);
    endRemoveRows();
}

void LiveAppsModel::resetAll()
{
    beginResetModel();
    m_ids = m_model ? m_model->appIds() : QStringList();
    endResetModel();
}

} // namespace pier::ui
