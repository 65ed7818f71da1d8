#pragma once

#include "marathon/livemodel.h"

#include <QAbstractTableModel>
#include <QPointer>
#include <QStringList>

namespace pier::ui {

// The apps of a LiveModel as table rows, updated row by row as the model changes (a burst of
// events touches only the rows it changes). Greyed while the model is stale.
class LiveAppsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Id, Instances, Running, Healthy, Unhealthy, Staged, Health, Status, ColumnCount };
    enum Role { AppIdRole = Qt::UserRole + 1, HealthRole }; // HealthRole: QList<int> r,h,u,i

    explicit LiveAppsModel(marathon::LiveModel *model, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    QString appIdAt(int row) const { return m_ids.value(row); }
    int rowOf(const QString &appId) const;

    // "Deploying (step 1 of 2)", "Waiting: delayed 12 s after failures", "Running", "Suspended".
    static QString statusOf(const marathon::LiveModel &model, const QString &appId);

private:
    void onAdded(const QString &appId);
    void onChanged(const QString &appId);
    void onRemoved(const QString &appId);
    void resetAll();

    QPointer<marathon::LiveModel> m_model;
    QStringList m_ids; // sorted, as the rows
    bool m_stale = false;
};

} // namespace pier::ui
