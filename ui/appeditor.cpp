#include "ui/appeditor.h"

#include "ui/accents.h"
#include "ui/issuefield.h"
#include "ui/jsonformat.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFile>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSaveFile>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QStyledItemDelegate>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextBlock>
#include <QToolButton>
#include <QVBoxLayout>

namespace pier::ui {

using marathon::AppDefinition;
using marathon::HealthCheck;
using marathon::JsonParseError;
using marathon::NetworkMode;
using marathon::PortMapping;
using marathon::ValidationIssue;

namespace {

constexpr int kParseDelayMs = 300;    // let the user finish typing before parsing
constexpr int kValidateDelayMs = 200; // and before re-validating after a form edit
const QString kSyntaxPath = QStringLiteral("#syntax");

// Offers a list of usual values in a table cell while still accepting any text.
class ComboDelegate : public QStyledItemDelegate {
public:
    ComboDelegate(const QStringList &choices, QObject *parent)
        : QStyledItemDelegate(parent), m_choices(choices)
    {
    }
    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &,
                          const QModelIndex &) const override
    {
        auto *combo = new QComboBox(parent);
        combo->setEditable(true);
        combo->addItems(m_choices);
        return combo;
    }
    void setEditorData(QWidget *editor, const QModelIndex &index) const override
    {
        static_cast<QComboBox *>(editor)->setCurrentText(index.data(Qt::EditRole).toString());
    }
    void setModelData(QWidget *editor, QAbstractItemModel *model,
                      const QModelIndex &index) const override
    {
        model->setData(index, static_cast<QComboBox *>(editor)->currentText(), Qt::EditRole);
    }

private:
    QStringList m_choices;
};

QTableWidgetItem *textItem(const QString &text)
{
    return new QTableWidgetItem(text);
}

QTableWidgetItem *intItem(int value)
{
    // An int in the edit role gives a spin box editor for free.
    auto *item = new QTableWidgetItem;
    item->setData(Qt::EditRole, value);
    return item;
}

QString cellText(const QTableWidget *table, int row, int column)
{
    const QTableWidgetItem *item = table->item(row, column);
    return item ? item->data(Qt::EditRole).toString() : QString();
}

int cellInt(const QTableWidget *table, int row, int column, int fallback = 0)
{
    bool ok = false;
    const int v = cellText(table, row, column).trimmed().toInt(&ok);
    return ok ? v : fallback;
}

// Shows a value even when it is outside the range a user may pick (a definition from a file
// can say cpus: -1; the form must show -1 and the problem, not a clamped 0).
void showNumber(QDoubleSpinBox *spin, double value, double min, double max)
{
    spin->setRange(std::min(min, value), std::max(max, value));
    spin->setValue(value);
}

void showNumber(QSpinBox *spin, int value, int min, int max)
{
    spin->setRange(std::min(min, value), std::max(max, value));
    spin->setValue(value);
}

QLabel *hintLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setWordWrap(true);
    label->setForegroundRole(QPalette::PlaceholderText);
    return label;
}

} // namespace

AppEditor::AppEditor(QWidget *parent) : QWidget(parent)
{
    m_parseTimer.setSingleShot(true);
    m_parseTimer.setInterval(kParseDelayMs);
    connect(&m_parseTimer, &QTimer::timeout, this, &AppEditor::parseText);
    m_validateTimer.setSingleShot(true);
    m_validateTimer.setInterval(kValidateDelayMs);
    connect(&m_validateTimer, &QTimer::timeout, this, &AppEditor::validate);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName(QStringLiteral("editorSplitter"));
    m_splitter->setChildrenCollapsible(false);
    layout->addWidget(m_splitter);

    m_formPane = new QWidget(m_splitter);
    auto *formPaneLayout = new QVBoxLayout(m_formPane);
    formPaneLayout->setContentsMargins(0, 0, 0, 0);
    m_formBanner = new QLabel(m_formPane);
    m_formBanner->setObjectName(QStringLiteral("formBanner"));
    m_formBanner->setWordWrap(true);
    m_formBanner->setVisible(false);
    formPaneLayout->addWidget(m_formBanner);
    m_scroll = new QScrollArea(m_formPane);
    m_scroll->setObjectName(QStringLiteral("formScroll"));
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_form = buildForm();
    m_scroll->setWidget(m_form);
    formPaneLayout->addWidget(m_scroll, 1);
    formPaneLayout->addWidget(buildIssues());

    m_splitter->addWidget(m_formPane);
    m_splitter->addWidget(buildJsonSide());
    m_splitter->setStretchFactor(0, 11);
    m_splitter->setStretchFactor(1, 9);

    newFromTemplate();
}

AppEditor::~AppEditor() = default;

// ---- building --------------------------------------------------------------------------------

IssueField *AppEditor::wrap(QWidget *field)
{
    auto *box = new IssueField(field, field);
    box->setFocusProxy(field);
    m_boxes.insert(field, box);
    return box;
}

QTableWidget *AppEditor::makeTable(const QString &name, const QStringList &headers)
{
    auto *table = new QTableWidget(0, int(headers.size()));
    table->setObjectName(name);
    table->setHorizontalHeaderLabels(headers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    // Tab leaves the table (arrows move between cells), so the form stays keyboard-friendly.
    table->setTabKeyNavigation(false);
    table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                           QAbstractItemView::AnyKeyPressed | QAbstractItemView::SelectedClicked);
    // Columns share the width: the form is narrow and a sideways scroll hides columns.
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table->horizontalHeader()->setMinimumSectionSize(60);
    table->horizontalHeader()->setHighlightSections(false);
    table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    // Room for three rows: enough for an app definition, without a wall of empty grid.
    const int rows = table->verticalHeader()->defaultSectionSize() * 3;
    table->setFixedHeight(table->horizontalHeader()->sizeHint().height() + rows +
                          2 * table->frameWidth() + 2);
    return table;
}

IssueField *AppEditor::wrapTable(QTableWidget *table, QToolButton *add, QToolButton *remove)
{
    auto *content = new QWidget;
    auto *v = new QVBoxLayout(content);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(4);
    v->addWidget(table);
    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(4);
    remove->setEnabled(false);
    buttons->addWidget(add);
    buttons->addWidget(remove);
    buttons->addStretch(1);
    v->addLayout(buttons);
    connect(table, &QTableWidget::itemSelectionChanged, remove,
            [table, remove] { remove->setEnabled(!table->selectedItems().isEmpty()); });
    auto *box = new IssueField(content, table);
    box->setFocusProxy(table);
    m_boxes.insert(table, box);
    return box;
}

QWidget *AppEditor::buildForm()
{
    auto *form = new QWidget;
    form->setObjectName(QStringLiteral("appForm"));
    auto *v = new QVBoxLayout(form);
    v->setSpacing(10);
    QList<QLabel *> rowLabels; // aligned to one width across the groups

    const auto addRow = [&rowLabels](QFormLayout *layout, const QString &text, IssueField *box) {
        auto *label = new QLabel(text);
        label->setBuddy(box->field());
        rowLabels.append(label);
        layout->addRow(label, box);
    };
    const auto newForm = [](QGroupBox *group) {
        auto *layout = new QFormLayout(group);
        layout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
        layout->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
        return layout;
    };
    const auto tableButtons = [](const QString &name, const QString &what) {
        auto *add = new QToolButton;
        add->setObjectName(QStringLiteral("add") + name + QStringLiteral("Button"));
        add->setText(tr("Add"));
        add->setToolTip(tr("Add a row to %1").arg(what));
        auto *remove = new QToolButton;
        remove->setObjectName(QStringLiteral("remove") + name + QStringLiteral("Button"));
        remove->setText(tr("Remove"));
        remove->setToolTip(tr("Remove the selected row from %1").arg(what));
        return std::make_pair(add, remove);
    };

    // Application
    auto *appGroup = new QGroupBox(tr("Application"), form);
    auto *appForm = newForm(appGroup);
    m_id = new QLineEdit;
    m_id->setObjectName(QStringLiteral("idEdit"));
    m_id->setPlaceholderText(tr("e.g. nginx or /web/nginx"));
    m_id->setToolTip(tr("The app's name in Marathon: lower-case letters, digits, '-' and '.', "
                        "with '/' between groups."));
    addRow(appForm, tr("&ID:"), wrap(m_id));
    m_instances = new QSpinBox;
    m_instances->setObjectName(QStringLiteral("instancesSpin"));
    m_instances->setRange(0, 100000);
    m_instances->setToolTip(tr("How many copies of the container Marathon keeps running."));
    addRow(appForm, tr("Instance&s:"), wrap(m_instances));
    m_cmd = new QLineEdit;
    m_cmd->setObjectName(QStringLiteral("cmdEdit"));
    m_cmd->setPlaceholderText(tr("empty: the image's own command"));
    m_cmd->setToolTip(tr("A shell command to run instead of the image's default command."));
    addRow(appForm, tr("Comma&nd:"), wrap(m_cmd));
    v->addWidget(appGroup);

    // Container
    auto *containerGroup = new QGroupBox(tr("Container"), form);
    auto *containerForm = newForm(containerGroup);
    m_image = new QLineEdit;
    m_image->setObjectName(QStringLiteral("imageEdit"));
    m_image->setPlaceholderText(tr("e.g. library/nginx:1.7.9"));
    m_image->setToolTip(tr("The Docker image to run, with its tag."));
    addRow(containerForm, tr("Docker ima&ge:"), wrap(m_image));
    m_network = new QComboBox;
    m_network->setObjectName(QStringLiteral("networkCombo"));
    m_network->addItem(tr("Host"), int(NetworkMode::Host));
    m_network->addItem(tr("Bridge"), int(NetworkMode::Bridge));
    m_network->addItem(tr("Container (user network)"), int(NetworkMode::Container));
    m_network->setToolTip(tr("Bridge gives the container its own ports, mapped to ports of the "
                             "node; Host shares the node's network."));
    addRow(containerForm, tr("Net&work:"), wrap(m_network));

    m_portTable =
        makeTable(QStringLiteral("portTable"), {tr("Container port"), tr("Host port"),
                                                tr("Service port"), tr("Protocol"), tr("Name")});
    m_portTable->setItemDelegateForColumn(
        3,
        new ComboDelegate({QStringLiteral("tcp"), QStringLiteral("udp"), QStringLiteral("udp,tcp")},
                          m_portTable));
    m_portTable->setToolTip(tr("Container port: where the app listens inside the container. "
                               "Host port 0: Mesos picks one. Service port: the port HAProxy "
                               "opens for the app on every node (0: Marathon picks one)."));
    auto [addPort, removePort] = tableButtons(QStringLiteral("Port"), tr("the port mappings"));
    auto *portsLabel = new QLabel(tr("&Port mappings:"));
    portsLabel->setBuddy(m_portTable);
    // The table takes the whole width of the group: five columns do not fit beside a label.
    containerForm->addRow(portsLabel);
    containerForm->addRow(wrapTable(m_portTable, addPort, removePort));
    v->addWidget(containerGroup);

    // Resources
    auto *resGroup = new QGroupBox(tr("Resources per instance"), form);
    auto *resForm = newForm(resGroup);
    m_cpus = new QDoubleSpinBox;
    m_cpus->setObjectName(QStringLiteral("cpusSpin"));
    m_cpus->setDecimals(3);
    m_cpus->setSingleStep(0.1);
    m_cpus->setRange(0, 1024);
    m_cpus->setToolTip(tr("CPU shares; 0.2 is a fifth of a core."));
    addRow(resForm, tr("&CPUs:"), wrap(m_cpus));
    m_mem = new QDoubleSpinBox;
    m_mem->setObjectName(QStringLiteral("memSpin"));
    m_mem->setDecimals(0);
    m_mem->setSingleStep(32);
    m_mem->setRange(0, 16 * 1024 * 1024);
    m_mem->setSuffix(tr(" MiB"));
    addRow(resForm, tr("&Memory:"), wrap(m_mem));
    m_disk = new QDoubleSpinBox;
    m_disk->setObjectName(QStringLiteral("diskSpin"));
    m_disk->setDecimals(0);
    m_disk->setSingleStep(64);
    m_disk->setRange(0, 1024 * 1024 * 1024);
    m_disk->setSuffix(tr(" MiB"));
    addRow(resForm, tr("&Disk:"), wrap(m_disk));
    v->addWidget(resGroup);

    // Environment and labels
    auto *envGroup = new QGroupBox(tr("&Environment variables"), form);
    auto *envLayout = new QVBoxLayout(envGroup);
    m_envTable = makeTable(QStringLiteral("envTable"), {tr("Name"), tr("Value")});
    auto [addEnv, removeEnv] = tableButtons(QStringLiteral("Env"), tr("the environment"));
    envLayout->addWidget(wrapTable(m_envTable, addEnv, removeEnv));
    envLayout->addWidget(hintLabel(
        tr("Never put passwords here: anyone who can read Marathon can read them."), envGroup));
    v->addWidget(envGroup);

    auto *labelsGroup = new QGroupBox(tr("&Labels"), form);
    auto *labelsLayout = new QVBoxLayout(labelsGroup);
    m_labelsTable = makeTable(QStringLiteral("labelsTable"), {tr("Name"), tr("Value")});
    auto [addLabel, removeLabel] = tableButtons(QStringLiteral("Label"), tr("the labels"));
    labelsLayout->addWidget(wrapTable(m_labelsTable, addLabel, removeLabel));
    v->addWidget(labelsGroup);

    // Placement
    auto *constraintsGroup = new QGroupBox(tr("Placement cons&traints"), form);
    auto *constraintsLayout = new QVBoxLayout(constraintsGroup);
    m_constraintsTable =
        makeTable(QStringLiteral("constraintsTable"), {tr("Field"), tr("Operator"), tr("Value")});
    m_constraintsTable->setItemDelegateForColumn(
        1, new ComboDelegate({QStringLiteral("UNIQUE"), QStringLiteral("CLUSTER"),
                              QStringLiteral("GROUP_BY"), QStringLiteral("LIKE"),
                              QStringLiteral("UNLIKE"), QStringLiteral("MAX_PER"),
                              QStringLiteral("IS")},
                             m_constraintsTable));
    auto [addConstraint, removeConstraint] =
        tableButtons(QStringLiteral("Constraint"), tr("the constraints"));
    constraintsLayout->addWidget(wrapTable(m_constraintsTable, addConstraint, removeConstraint));
    constraintsLayout->addWidget(hintLabel(
        tr("For example hostname UNIQUE: at most one instance per node."), constraintsGroup));
    v->addWidget(constraintsGroup);

    // Health checks
    auto *healthGroup = new QGroupBox(tr("Health chec&ks"), form);
    auto *healthLayout = new QVBoxLayout(healthGroup);
    m_healthTable = makeTable(QStringLiteral("healthTable"),
                              {tr("Protocol"), tr("Path or command"), tr("Port index"), tr("Grace"),
                               tr("Interval"), tr("Timeout"), tr("Failures")});
    // Short headers keep the path column readable; the tooltips say the units.
    const QStringList healthTips{
        tr("HTTP, HTTPS and TCP are checked by Marathon; MESOS_* by the agent; COMMAND runs "
           "a command in the container."),
        tr("The HTTP path to ask, or the command to run for COMMAND checks."),
        tr("Which of the app's ports to check: 0 is the first port mapping."),
        tr("Seconds after the task starts during which failures are ignored."),
        tr("Seconds between two checks."),
        tr("Seconds a check may take before it counts as failed."),
        tr("Consecutive failures after which Marathon kills the task (0: never).")};
    for (int c = 0; c < healthTips.size(); ++c)
        m_healthTable->horizontalHeaderItem(c)->setToolTip(healthTips[c]);
    m_healthTable->setItemDelegateForColumn(
        0,
        new ComboDelegate({QStringLiteral("HTTP"), QStringLiteral("HTTPS"), QStringLiteral("TCP"),
                           QStringLiteral("COMMAND"), QStringLiteral("MESOS_HTTP"),
                           QStringLiteral("MESOS_HTTPS"), QStringLiteral("MESOS_TCP")},
                          m_healthTable));
    m_healthTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_healthTable->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_healthTable->horizontalHeader()->setMinimumSectionSize(40);
    auto [addHealth, removeHealth] =
        tableButtons(QStringLiteral("Health"), tr("the health checks"));
    healthLayout->addWidget(wrapTable(m_healthTable, addHealth, removeHealth));
    healthLayout->addWidget(
        hintLabel(tr("Grace, interval and timeout are in seconds. Port index 0 is the first port "
                     "mapping."),
                  healthGroup));
    v->addWidget(healthGroup);

    // Upgrade strategy
    auto *upgradeGroup = new QGroupBox(tr("Upgrade strategy"), form);
    auto *upgradeForm = newForm(upgradeGroup);
    m_minHealth = new QDoubleSpinBox;
    m_minHealth->setObjectName(QStringLiteral("minHealthSpin"));
    m_minHealth->setDecimals(2);
    m_minHealth->setSingleStep(0.1);
    m_minHealth->setRange(0, 1);
    m_minHealth->setToolTip(tr("The share of instances that must stay healthy during an "
                               "update (1: start new ones before stopping old ones)."));
    addRow(upgradeForm, tr("Minimum health capacit&y:"), wrap(m_minHealth));
    m_maxOver = new QDoubleSpinBox;
    m_maxOver->setObjectName(QStringLiteral("maxOverSpin"));
    m_maxOver->setDecimals(2);
    m_maxOver->setSingleStep(0.1);
    m_maxOver->setRange(0, 1);
    m_maxOver->setToolTip(tr("How many extra instances, as a share, may run during an update."));
    addRow(upgradeForm, tr("Maximum &over capacity:"), wrap(m_maxOver));
    v->addWidget(upgradeGroup);
    v->addStretch(1);

    for (QAbstractSpinBox *spin :
         {static_cast<QAbstractSpinBox *>(m_instances), static_cast<QAbstractSpinBox *>(m_cpus),
          static_cast<QAbstractSpinBox *>(m_mem), static_cast<QAbstractSpinBox *>(m_disk),
          static_cast<QAbstractSpinBox *>(m_minHealth), static_cast<QAbstractSpinBox *>(m_maxOver)})
        spin->setMaximumWidth(spin->fontMetrics().horizontalAdvance(QLatin1Char('0')) * 22);
    m_network->setMaximumWidth(m_network->fontMetrics().horizontalAdvance(QLatin1Char('0')) * 34);

    int labelWidth = 0;
    for (QLabel *label : std::as_const(rowLabels))
        labelWidth = std::max(labelWidth, label->sizeHint().width());
    for (QLabel *label : std::as_const(rowLabels))
        label->setMinimumWidth(labelWidth);

    // Form -> definition. Each edit touches only its own key, so everything else in the JSON
    // (fields the form does not show included) stays as it was.
    connect(m_id, &QLineEdit::textEdited, this,
            [this](const QString &t) { formEdited([&] { m_def.setId(t); }); });
    connect(m_image, &QLineEdit::textEdited, this,
            [this](const QString &t) { formEdited([&] { m_def.setImage(t); }); });
    connect(m_cmd, &QLineEdit::textEdited, this,
            [this](const QString &t) { formEdited([&] { m_def.setCmd(t); }); });
    connect(m_network, &QComboBox::activated, this, [this](int index) {
        formEdited([&] { m_def.setNetworkMode(NetworkMode(m_network->itemData(index).toInt())); });
    });
    connect(m_instances, &QSpinBox::valueChanged, this,
            [this](int n) { formEdited([&] { m_def.setInstances(n); }); });
    connect(m_cpus, &QDoubleSpinBox::valueChanged, this,
            [this](double x) { formEdited([&] { m_def.setCpus(x); }); });
    connect(m_mem, &QDoubleSpinBox::valueChanged, this,
            [this](double x) { formEdited([&] { m_def.setMem(x); }); });
    connect(m_disk, &QDoubleSpinBox::valueChanged, this,
            [this](double x) { formEdited([&] { m_def.setDisk(x); }); });
    connect(m_minHealth, &QDoubleSpinBox::valueChanged, this, [this](double x) {
        formEdited([&] { m_def.setUpgradeStrategy(x, m_def.maximumOverCapacity()); });
    });
    connect(m_maxOver, &QDoubleSpinBox::valueChanged, this, [this](double x) {
        formEdited([&] { m_def.setUpgradeStrategy(m_def.minimumHealthCapacity(), x); });
    });

    connect(m_portTable, &QTableWidget::itemChanged, this, [this] { portsEdited(); });
    connect(m_envTable, &QTableWidget::itemChanged, this, [this] { envEdited(); });
    connect(m_labelsTable, &QTableWidget::itemChanged, this, [this] { labelsEdited(); });
    connect(m_constraintsTable, &QTableWidget::itemChanged, this, [this] { constraintsEdited(); });
    connect(m_healthTable, &QTableWidget::itemChanged, this, [this] { healthEdited(); });

    // Adding a row starts editing its first cell; removing takes the selected row.
    const auto addRowTo = [this](QTableWidget *table, const QList<QTableWidgetItem *> &items,
                                 const std::function<void()> &edited) {
        if (m_updating)
            return;
        m_updating = true;
        const int row = table->rowCount();
        table->insertRow(row);
        for (int c = 0; c < items.size(); ++c)
            table->setItem(row, c, items[c]);
        m_updating = false;
        edited();
        table->setCurrentCell(row, 0);
        table->setFocus(Qt::OtherFocusReason);
        table->editItem(table->item(row, 0));
    };
    const auto removeRowFrom = [this](QTableWidget *table, const std::function<void(int)> &drop,
                                      const std::function<void()> &edited) {
        const int row = table->currentRow();
        if (row < 0 || m_updating)
            return;
        m_updating = true;
        table->removeRow(row);
        if (drop)
            drop(row);
        m_updating = false;
        edited();
    };

    connect(addPort, &QToolButton::clicked, this, [=] {
        m_ports.append(PortMapping{});
        addRowTo(m_portTable, {intItem(0), intItem(0), intItem(0), textItem({}), textItem({})},
                 [this] { portsEdited(); });
    });
    connect(removePort, &QToolButton::clicked, this, [=] {
        removeRowFrom(
            m_portTable, [this](int row) { m_ports.removeAt(row); }, [this] { portsEdited(); });
    });
    connect(addEnv, &QToolButton::clicked, this, [=] {
        addRowTo(m_envTable, {textItem({}), textItem({})}, [this] { envEdited(); });
    });
    connect(removeEnv, &QToolButton::clicked, this,
            [=] { removeRowFrom(m_envTable, {}, [this] { envEdited(); }); });
    connect(addLabel, &QToolButton::clicked, this, [=] {
        addRowTo(m_labelsTable, {textItem({}), textItem({})}, [this] { labelsEdited(); });
    });
    connect(removeLabel, &QToolButton::clicked, this,
            [=] { removeRowFrom(m_labelsTable, {}, [this] { labelsEdited(); }); });
    connect(addConstraint, &QToolButton::clicked, this, [=] {
        addRowTo(m_constraintsTable,
                 {textItem(QStringLiteral("hostname")), textItem(QStringLiteral("UNIQUE")),
                  textItem({})},
                 [this] { constraintsEdited(); });
    });
    connect(removeConstraint, &QToolButton::clicked, this,
            [=] { removeRowFrom(m_constraintsTable, {}, [this] { constraintsEdited(); }); });
    connect(addHealth, &QToolButton::clicked, this, [=] {
        HealthCheck check;
        check.protocol = QStringLiteral("HTTP");
        check.path = QStringLiteral("/");
        check.portIndex = 0;
        m_checks.append(check);
        addRowTo(m_healthTable,
                 {textItem(check.protocol), textItem(check.path),
                  textItem(QString::number(check.portIndex)), intItem(check.gracePeriodSeconds),
                  intItem(check.intervalSeconds), intItem(check.timeoutSeconds),
                  intItem(check.maxConsecutiveFailures)},
                 [this] { healthEdited(); });
    });
    connect(removeHealth, &QToolButton::clicked, this, [=] {
        removeRowFrom(
            m_healthTable, [this](int row) { m_checks.removeAt(row); }, [this] { healthEdited(); });
    });

    return form;
}

QWidget *AppEditor::buildJsonSide()
{
    m_jsonTabs = new QTabWidget;
    m_jsonTabs->setObjectName(QStringLiteral("jsonTabs"));
    m_jsonTabs->setDocumentMode(true);

    auto *jsonPage = new QWidget;
    auto *jv = new QVBoxLayout(jsonPage);
    jv->setContentsMargins(0, 4, 0, 0);
    m_jsonError = new QLabel(jsonPage);
    m_jsonError->setObjectName(QStringLiteral("jsonErrorLabel"));
    m_jsonError->setWordWrap(true);
    m_jsonError->setTextFormat(Qt::PlainText);
    m_jsonError->setVisible(false);
    jv->addWidget(m_jsonError);
    m_json = new QPlainTextEdit(jsonPage);
    m_json->setObjectName(QStringLiteral("jsonEdit"));
    m_json->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_json->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_json->setTabChangesFocus(true); // keyboard users can leave the text with Tab
    m_json->setAccessibleName(tr("App definition JSON"));
    m_json->installEventFilter(this);
    connect(m_json, &QPlainTextEdit::textChanged, this, &AppEditor::onTextChanged);
    jv->addWidget(m_json, 1);
    m_jsonTabs->addTab(jsonPage, tr("&JSON"));

    auto *defaultsPage = new QWidget;
    auto *dv = new QVBoxLayout(defaultsPage);
    dv->setContentsMargins(0, 4, 0, 0);
    dv->addWidget(hintLabel(tr("What Marathon will fill in for every field this definition "
                               "leaves out. Read-only: edit the JSON or the form."),
                            defaultsPage));
    m_defaults = new QPlainTextEdit(defaultsPage);
    m_defaults->setObjectName(QStringLiteral("defaultsView"));
    m_defaults->setReadOnly(true);
    m_defaults->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_defaults->setLineWrapMode(QPlainTextEdit::NoWrap);
    dv->addWidget(m_defaults, 1);
    m_jsonTabs->addTab(defaultsPage, tr("Wit&h defaults"));
    return m_jsonTabs;
}

QWidget *AppEditor::buildIssues()
{
    auto *group = new QWidget;
    auto *v = new QVBoxLayout(group);
    v->setContentsMargins(0, 6, 0, 0);
    v->setSpacing(4);
    m_issuesSummary = new QLabel(group);
    m_issuesSummary->setObjectName(QStringLiteral("issuesSummary"));
    m_issuesSummary->setWordWrap(true);
    v->addWidget(m_issuesSummary);
    m_issuesList = new QListWidget(group);
    m_issuesList->setObjectName(QStringLiteral("issuesList"));
    m_issuesList->setAccessibleName(tr("Problems"));
    m_issuesList->setToolTip(tr("Double-click a problem, or press Enter, to go to its field."));
    m_issuesList->setIconSize(QSize(16, 16));
    m_issuesList->setWordWrap(true);
    m_issuesList->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_issuesList->setResizeMode(QListView::Adjust);
    m_issuesList->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_issuesList->setVisible(false);
    m_issuesSummary->setBuddy(m_issuesList);
    connect(m_issuesList, &QListWidget::itemActivated, this,
            [this](QListWidgetItem *item) { focusPath(item->data(Qt::UserRole).toString()); });
    v->addWidget(m_issuesList);
    return group;
}

// ---- form <-> definition <-> text ------------------------------------------------------------

void AppEditor::formEdited(const std::function<void()> &apply)
{
    if (m_updating)
        return;
    apply();
    renderText();
    updateDefaultsView();
    markModified();
    emit changed();
    scheduleValidation();
}

void AppEditor::refreshForm()
{
    const bool wasUpdating = m_updating;
    m_updating = true;
    if (m_id->text() != m_def.id())
        m_id->setText(m_def.id());
    if (m_image->text() != m_def.image())
        m_image->setText(m_def.image());
    if (m_cmd->text() != m_def.cmd())
        m_cmd->setText(m_def.cmd());
    m_network->setCurrentIndex(m_network->findData(int(m_def.networkMode())));
    showNumber(m_instances, m_def.instances(), 0, 100000);
    showNumber(m_cpus, m_def.cpus(), 0, 1024);
    showNumber(m_mem, m_def.mem(), 0, 16 * 1024 * 1024);
    showNumber(m_disk, m_def.disk(), 0, 1024 * 1024 * 1024);
    showNumber(m_minHealth, m_def.minimumHealthCapacity(), 0, 1);
    showNumber(m_maxOver, m_def.maximumOverCapacity(), 0, 1);

    m_ports = m_def.portMappings();
    m_portTable->setRowCount(int(m_ports.size()));
    for (int r = 0; r < m_ports.size(); ++r) {
        const PortMapping &p = m_ports[r];
        m_portTable->setItem(r, 0, intItem(p.containerPort));
        m_portTable->setItem(r, 1, intItem(p.hostPort));
        m_portTable->setItem(r, 2, intItem(p.servicePort));
        m_portTable->setItem(r, 3, textItem(p.protocol));
        m_portTable->setItem(r, 4, textItem(p.name));
    }

    const auto fillMap = [](QTableWidget *table, const QMap<QString, QString> &map) {
        table->setRowCount(int(map.size()));
        int r = 0;
        for (auto it = map.cbegin(); it != map.cend(); ++it, ++r) {
            table->setItem(r, 0, textItem(it.key()));
            table->setItem(r, 1, textItem(it.value()));
        }
    };
    fillMap(m_envTable, m_def.env());
    fillMap(m_labelsTable, m_def.labels());

    const QList<QStringList> constraints = m_def.constraints();
    m_constraintsTable->setRowCount(int(constraints.size()));
    for (int r = 0; r < constraints.size(); ++r) {
        for (int c = 0; c < 3; ++c)
            m_constraintsTable->setItem(r, c, textItem(constraints[r].value(c)));
    }

    m_checks = m_def.healthChecks();
    m_healthTable->setRowCount(int(m_checks.size()));
    for (int r = 0; r < m_checks.size(); ++r) {
        const HealthCheck &h = m_checks[r];
        const bool command = h.protocol.compare(QLatin1String("COMMAND"), Qt::CaseInsensitive) == 0;
        m_healthTable->setItem(r, 0, textItem(h.protocol));
        m_healthTable->setItem(r, 1, textItem(command ? h.command : h.path));
        m_healthTable->setItem(
            r, 2, textItem(h.portIndex >= 0 ? QString::number(h.portIndex) : QString()));
        m_healthTable->setItem(r, 3, intItem(h.gracePeriodSeconds));
        m_healthTable->setItem(r, 4, intItem(h.intervalSeconds));
        m_healthTable->setItem(r, 5, intItem(h.timeoutSeconds));
        m_healthTable->setItem(r, 6, intItem(h.maxConsecutiveFailures));
    }
    m_updating = wasUpdating;
}

void AppEditor::portsEdited()
{
    formEdited([this] {
        for (int r = 0; r < m_portTable->rowCount(); ++r) {
            if (r >= m_ports.size())
                m_ports.append(PortMapping{});
            PortMapping &p = m_ports[r];
            p.containerPort = cellInt(m_portTable, r, 0);
            p.hostPort = cellInt(m_portTable, r, 1);
            p.servicePort = cellInt(m_portTable, r, 2);
            p.protocol = cellText(m_portTable, r, 3).trimmed();
            p.name = cellText(m_portTable, r, 4).trimmed();
        }
        m_ports.resize(m_portTable->rowCount());
        m_def.setPortMappings(m_ports);
    });
}

void AppEditor::envEdited()
{
    formEdited([this] {
        QMap<QString, QString> env;
        for (int r = 0; r < m_envTable->rowCount(); ++r) {
            const QString key = cellText(m_envTable, r, 0).trimmed();
            if (!key.isEmpty())
                env.insert(key, cellText(m_envTable, r, 1));
        }
        m_def.setEnv(env);
    });
}

void AppEditor::labelsEdited()
{
    formEdited([this] {
        QMap<QString, QString> labels;
        for (int r = 0; r < m_labelsTable->rowCount(); ++r) {
            const QString key = cellText(m_labelsTable, r, 0).trimmed();
            if (!key.isEmpty())
                labels.insert(key, cellText(m_labelsTable, r, 1));
        }
        m_def.setLabels(labels);
    });
}

void AppEditor::constraintsEdited()
{
    formEdited([this] {
        QList<QStringList> constraints;
        for (int r = 0; r < m_constraintsTable->rowCount(); ++r) {
            QStringList c{cellText(m_constraintsTable, r, 0).trimmed(),
                          cellText(m_constraintsTable, r, 1).trimmed()};
            const QString value = cellText(m_constraintsTable, r, 2);
            if (!value.isEmpty())
                c.append(value);
            if (!c[0].isEmpty() || !c[1].isEmpty() || c.size() > 2)
                constraints.append(c);
        }
        m_def.setConstraints(constraints);
    });
}

void AppEditor::healthEdited()
{
    formEdited([this] {
        for (int r = 0; r < m_healthTable->rowCount(); ++r) {
            if (r >= m_checks.size())
                m_checks.append(HealthCheck{});
            HealthCheck &h = m_checks[r];
            h.protocol = cellText(m_healthTable, r, 0).trimmed().toUpper();
            const QString target = cellText(m_healthTable, r, 1);
            if (h.protocol == QLatin1String("COMMAND"))
                h.command = target;
            else
                h.path = target;
            const QString index = cellText(m_healthTable, r, 2).trimmed();
            h.portIndex = index.isEmpty() ? -1 : cellInt(m_healthTable, r, 2, -1);
            h.gracePeriodSeconds = cellInt(m_healthTable, r, 3, h.gracePeriodSeconds);
            h.intervalSeconds = cellInt(m_healthTable, r, 4, h.intervalSeconds);
            h.timeoutSeconds = cellInt(m_healthTable, r, 5, h.timeoutSeconds);
            h.maxConsecutiveFailures = cellInt(m_healthTable, r, 6, h.maxConsecutiveFailures);
        }
        m_checks.resize(m_healthTable->rowCount());
        m_def.setHealthChecks(m_checks);
    });
}

void AppEditor::renderText()
{
    // Only called for changes that came from the form (or a new definition): the text the user
    // is typing is never rewritten under them.
    m_parseTimer.stop();
    const int scroll = m_json->verticalScrollBar()->value();
    m_updating = true;
    m_json->setPlainText(prettyJson(m_def.json()));
    m_updating = false;
    m_json->verticalScrollBar()->setValue(scroll);
    if (m_syntaxError.isError()) {
        m_syntaxError = JsonParseError{};
        showSyntaxError();
    }
}

void AppEditor::onTextChanged()
{
    if (m_updating)
        return;
    markModified();
    m_parseTimer.start();
}

void AppEditor::parseText()
{
    m_parseTimer.stop();
    JsonParseError error;
    const AppDefinition parsed = AppDefinition::parse(m_json->toPlainText().toUtf8(), &error);
    const bool hadError = m_syntaxError.isError();
    if (error.isError()) {
        // The form keeps the last good state; the text keeps what the user typed.
        m_syntaxError = error;
        showSyntaxError();
        emit changed();
        validate(); // at once: the list and validity must tell about the error now
        return;
    }
    m_syntaxError = JsonParseError{};
    if (hadError)
        showSyntaxError();
    if (!(parsed == m_def)) {
        m_def = parsed;
        refreshForm();
        updateDefaultsView();
    }
    emit changed();
    scheduleValidation();
}

void AppEditor::showSyntaxError()
{
    QList<QTextEdit::ExtraSelection> selections;
    if (!m_syntaxError.isError()) {
        m_jsonError->setVisible(false);
        m_formBanner->setVisible(false);
        m_form->setEnabled(true);
        m_json->setExtraSelections(selections);
        return;
    }
    const QString where =
        tr("line %1, column %2").arg(m_syntaxError.line).arg(m_syntaxError.column);
    m_jsonError->setText(tr("Syntax error at %1: %2").arg(where, m_syntaxError.message));
    setAccent(m_jsonError, Accent::Error);
    m_jsonError->setVisible(true);
    m_formBanner->setText(tr("The JSON text has a syntax error (%1). The form shows the last "
                             "valid definition; fix the text to edit with the form again.")
                              .arg(where));
    m_formBanner->setVisible(true);
    // Editing the form now would replace the text being fixed; wait for it to parse.
    m_form->setEnabled(false);

    // Highlight the line and the character where parsing stopped.
    const QByteArray utf8 = m_json->toPlainText().toUtf8();
    const int position =
        int(QString::fromUtf8(utf8.left(std::max(0, m_syntaxError.offset))).size());
    QTextCursor cursor(m_json->document());
    cursor.setPosition(std::min(position, m_json->document()->characterCount() - 1));
    QTextEdit::ExtraSelection line;
    line.format.setBackground(errorBackground());
    line.format.setProperty(QTextFormat::FullWidthSelection, true);
    line.cursor = cursor;
    line.cursor.clearSelection();
    selections.append(line);
    QTextEdit::ExtraSelection at;
    at.cursor = cursor;
    at.cursor.movePosition(QTextCursor::NextCharacter, QTextCursor::KeepAnchor);
    if (!at.cursor.hasSelection() || at.cursor.selectedText().trimmed().isEmpty()) {
        at.cursor = cursor;
        at.cursor.movePosition(QTextCursor::PreviousCharacter, QTextCursor::KeepAnchor);
    }
    at.format.setUnderlineStyle(QTextCharFormat::WaveUnderline);
    at.format.setUnderlineColor(errorColor(palette()));
    at.format.setBackground(errorBackground());
    selections.append(at);
    m_json->setExtraSelections(selections);
}

void AppEditor::updateDefaultsView()
{
    m_defaults->setPlainText(prettyJson(m_def.withDefaults()));
}

// ---- validation ------------------------------------------------------------------------------

void AppEditor::scheduleValidation()
{
    m_validateTimer.start();
}

void AppEditor::validateNow()
{
    if (m_parseTimer.isActive())
        parseText();
    validate();
}

void AppEditor::validate()
{
    m_validateTimer.stop();
    m_localIssues = marathon::validateApp(m_def);
    // Marathon's complaint about a value is stale once the user changed that value.
    m_serverIssues.erase(std::remove_if(m_serverIssues.begin(), m_serverIssues.end(),
                                        [this](const ServerIssue &s) {
                                            const QString &path = s.issue.path;
                                            return path != QLatin1String("/") &&
                                                   m_def.value(path) != s.valueWhenReported;
                                        }),
                         m_serverIssues.end());
    applyIssues();
    const bool valid =
        !m_syntaxError.isError() && m_localIssues.isEmpty() && m_serverIssues.isEmpty();
    if (valid != m_valid) {
        m_valid = valid;
        emit validityChanged(valid);
    }
    emit issuesChanged();
}

QList<ValidationIssue> AppEditor::issues() const
{
    QList<ValidationIssue> all = m_localIssues;
    for (const ServerIssue &s : m_serverIssues)
        all.append(s.issue);
    return all;
}

QString AppEditor::normalizePath(const QString &path)
{
    // Marathon writes array indexes as "/apps(0)/id" in some versions; JSON pointers say "/0/".
    static const QRegularExpression index(QStringLiteral("\\((\\d+)\\)"));
    QString p = path.trimmed();
    p.replace(index, QStringLiteral("/\\1"));
    if (!p.startsWith(QLatin1Char('/')))
        p.prepend(QLatin1Char('/'));
    return p;
}

AppEditor::Target AppEditor::targetFor(const QString &path) const
{
    QStringList s = normalizePath(path).split(QLatin1Char('/'), Qt::SkipEmptyParts);
    for (QString &token : s) {
        // RFC 6901 escapes, for env and label names with '/' or '~' in them.
        token.replace(QLatin1String("~1"), QLatin1String("/"));
        token.replace(QLatin1String("~0"), QLatin1String("~"));
    }
    Target t;
    if (s.isEmpty())
        return t;
    const auto field = [this](QWidget *w) {
        Target f;
        f.box = m_boxes.value(w);
        return f;
    };
    const auto row = [this](QTableWidget *table, const QString &index, const QString &label,
                            int column) {
        Target r;
        r.box = m_boxes.value(table);
        r.table = table;
        bool ok = false;
        const int n = index.toInt(&ok);
        if (ok && n >= 0 && n < table->rowCount()) {
            r.row = n;
            r.column = column;
            r.rowLabel = label.arg(n + 1);
        }
        return r;
    };
    const auto keyRow = [this](QTableWidget *table, const QString &key) {
        Target r;
        r.box = m_boxes.value(table);
        r.table = table;
        for (int i = 0; i < table->rowCount(); ++i) {
            if (cellText(table, i, 0).trimmed() == key) {
                r.row = i;
                r.column = 1;
                r.rowLabel = key;
            }
        }
        return r;
    };
    const auto portColumn = [](const QString &key) {
        static const QStringList keys{QStringLiteral("containerPort"), QStringLiteral("hostPort"),
                                      QStringLiteral("servicePort"), QStringLiteral("protocol"),
                                      QStringLiteral("name")};
        return std::max(0, int(keys.indexOf(key)));
    };

    const QString &top = s[0];
    if (top == QLatin1String("id"))
        return field(m_id);
    if (top == QLatin1String("cmd") || top == QLatin1String("args"))
        return field(m_cmd);
    if (top == QLatin1String("instances"))
        return field(m_instances);
    if (top == QLatin1String("cpus"))
        return field(m_cpus);
    if (top == QLatin1String("mem"))
        return field(m_mem);
    if (top == QLatin1String("disk"))
        return field(m_disk);
    if (top == QLatin1String("networks"))
        return field(m_network);
    if (top == QLatin1String("portDefinitions") || top == QLatin1String("ports"))
        return row(m_portTable, s.value(1), tr("Port %1"), portColumn(s.value(2)));
    if (top == QLatin1String("container")) {
        // container/portMappings (1.5+) and container/docker/portMappings (legacy) alike.
        const qsizetype pm = s.indexOf(QStringLiteral("portMappings"));
        if (pm > 0)
            return row(m_portTable, s.value(pm + 1), tr("Port mapping %1"),
                       portColumn(s.value(pm + 2)));
        if (s.contains(QStringLiteral("network")))
            return field(m_network);
        return field(m_image);
    }
    if (top == QLatin1String("env"))
        return s.size() > 1 ? keyRow(m_envTable, s[1]) : field(m_envTable);
    if (top == QLatin1String("labels"))
        return s.size() > 1 ? keyRow(m_labelsTable, s[1]) : field(m_labelsTable);
    if (top == QLatin1String("constraints"))
        return row(m_constraintsTable, s.value(1), tr("Constraint %1"), 0);
    if (top == QLatin1String("healthChecks")) {
        static const QStringList keys{QStringLiteral("protocol"),
                                      QStringLiteral("path"),
                                      QStringLiteral("portIndex"),
                                      QStringLiteral("gracePeriodSeconds"),
                                      QStringLiteral("intervalSeconds"),
                                      QStringLiteral("timeoutSeconds"),
                                      QStringLiteral("maxConsecutiveFailures")};
        QString key = s.value(2);
        if (key == QLatin1String("command") || key == QLatin1String("value"))
            key = QStringLiteral("path");
        return row(m_healthTable, s.value(1), tr("Health check %1"),
                   std::max(0, int(keys.indexOf(key))));
    }
    if (top == QLatin1String("upgradeStrategy"))
        return field(s.value(1) == QLatin1String("maximumOverCapacity") ? m_maxOver : m_minHealth);
    return t;
}

void AppEditor::applyIssues()
{
    QHash<IssueField *, QStringList> boxMessages;
    QHash<QTableWidget *, QMap<int, QStringList>> rowMessages;
    m_issuesList->clear();

    const QIcon warning = style()->standardIcon(QStyle::SP_MessageBoxWarning);
    if (m_syntaxError.isError()) {
        auto *item = new QListWidgetItem(warning, tr("JSON line %1, column %2: %3")
                                                      .arg(m_syntaxError.line)
                                                      .arg(m_syntaxError.column)
                                                      .arg(m_syntaxError.message));
        item->setData(Qt::UserRole, kSyntaxPath);
        m_issuesList->addItem(item);
    }
    const QList<ValidationIssue> all = issues();
    for (const ValidationIssue &issue : all) {
        const Target t = targetFor(issue.path);
        if (t.table && t.row >= 0) {
            rowMessages[t.table][t.row].append(issue.message);
            boxMessages[t.box].append(tr("%1: %2").arg(t.rowLabel, issue.message));
        } else if (t.box) {
            boxMessages[t.box].append(issue.message);
        }
        auto *item =
            new QListWidgetItem(warning, QStringLiteral("%1: %2").arg(issue.path, issue.message));
        item->setData(Qt::UserRole, issue.path);
        item->setToolTip(t.box ? tr("Double-click or press Enter to go to the field.")
                               : tr("This applies to the definition as a whole."));
        m_issuesList->addItem(item);
    }

    for (IssueField *box : std::as_const(m_boxes))
        box->setMessages(boxMessages.value(box));

    // Rows with a problem: a tinted background, a warning icon and the message as tooltip.
    m_updating = true;
    for (QTableWidget *table :
         {m_portTable, m_envTable, m_labelsTable, m_constraintsTable, m_healthTable}) {
        const QMap<int, QStringList> marks = rowMessages.value(table);
        for (int r = 0; r < table->rowCount(); ++r) {
            const QString tip = marks.value(r).join(QLatin1Char('\n'));
            for (int c = 0; c < table->columnCount(); ++c) {
                QTableWidgetItem *item = table->item(r, c);
                if (!item) {
                    item = textItem({});
                    table->setItem(r, c, item);
                }
                if (item->toolTip() == tip)
                    continue;
                item->setToolTip(tip);
                item->setBackground(tip.isEmpty() ? QBrush() : QBrush(errorBackground()));
                if (c == 0)
                    item->setIcon(tip.isEmpty() ? QIcon() : warning);
            }
        }
    }
    m_updating = false;

    const int count = m_issuesList->count();
    m_issuesList->setVisible(count > 0);
    // A constant height (about four lines) while there are problems, so the form does not
    // jump with every keystroke that adds or fixes one.
    m_issuesList->setFixedHeight(m_issuesList->fontMetrics().lineSpacing() * 9 / 2 +
                                 2 * m_issuesList->frameWidth() + 4);
    if (count == 0) {
        m_issuesSummary->setText(tr("No problems found: Marathon should accept this definition."));
        setAccent(m_issuesSummary, Accent::Ok);
    } else {
        m_issuesSummary->setText(
            tr("P&roblems to fix before launching: %1. Double-click one to go to its field.")
                .arg(count));
        setAccent(m_issuesSummary, Accent::Error);
    }
}

void AppEditor::setServerErrors(const QList<pier::FieldError> &errors)
{
    m_serverIssues.clear();
    for (const pier::FieldError &e : errors) {
        const QString path = normalizePath(e.path);
        const QStringList messages =
            e.errors.isEmpty() ? QStringList{tr("rejected by Marathon")} : e.errors;
        for (const QString &message : messages) {
            ServerIssue s;
            s.issue = {path, tr("Marathon: %1").arg(message)};
            s.valueWhenReported = m_def.value(path);
            m_serverIssues.append(s);
        }
    }
    validate();
}

void AppEditor::clearServerErrors()
{
    m_serverIssues.clear();
    validate();
}

bool AppEditor::focusPath(const QString &path)
{
    if (path == kSyntaxPath) {
        m_jsonTabs->setCurrentIndex(0);
        const QByteArray utf8 = m_json->toPlainText().toUtf8();
        QTextCursor cursor = m_json->textCursor();
        cursor.setPosition(
            std::min(int(QString::fromUtf8(utf8.left(std::max(0, m_syntaxError.offset))).size()),
                     m_json->document()->characterCount() - 1));
        m_json->setTextCursor(cursor);
        m_json->setFocus(Qt::OtherFocusReason);
        return true;
    }
    const Target t = targetFor(path);
    if (!t.box)
        return false;
    if (t.table && t.row >= 0)
        t.table->setCurrentCell(t.row, std::max(0, t.column));
    m_scroll->ensureWidgetVisible(t.box, 20, 20);
    t.box->field()->setFocus(Qt::OtherFocusReason);
    return true;
}

void AppEditor::showDefaults(bool show)
{
    m_jsonTabs->setCurrentIndex(show ? 1 : 0);
}

void AppEditor::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        reapplyAccents(this);
    QWidget::changeEvent(event);
}

bool AppEditor::eventFilter(QObject *watched, QEvent *event)
{
    // Leaving the text for the form: parse what was typed first, so the form edits the latest.
    if (watched == m_json && event->type() == QEvent::FocusOut && m_parseTimer.isActive())
        parseText();
    return QWidget::eventFilter(watched, event);
}

// ---- state and files -------------------------------------------------------------------------

void AppEditor::markModified()
{
    setModified(true);
}

void AppEditor::setModified(bool modified)
{
    if (modified == m_modified)
        return;
    m_modified = modified;
    emit modificationChanged(modified);
}

QString AppEditor::jsonText() const
{
    return m_json->toPlainText();
}

void AppEditor::setDefinition(const AppDefinition &definition)
{
    m_def = definition;
    m_serverIssues.clear();
    m_syntaxError = JsonParseError{};
    renderText();
    showSyntaxError();
    refreshForm();
    updateDefaultsView();
    m_savedText = m_json->toPlainText();
    setModified(false);
    emit changed();
    validate();
}

namespace {
QString withFinalNewline(QString text)
{
    if (!text.endsWith(QLatin1Char('\n')))
        text.append(QLatin1Char('\n'));
    return text;
}
} // namespace

bool AppEditor::loadFile(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = tr("Cannot open %1: %2").arg(path, file.errorString());
        return false;
    }
    loadText(file.readAll());
    m_filePath = path;
    return true;
}

void AppEditor::loadText(const QByteArray &bytes)
{
    // The text's own layout is kept; a text that does not parse opens with its error shown.
    m_parseTimer.stop();
    m_updating = true;
    m_json->setPlainText(QString::fromUtf8(bytes));
    m_updating = false;
    JsonParseError parseError;
    const AppDefinition parsed = AppDefinition::parse(bytes, &parseError);
    m_def = parseError.isError() ? AppDefinition() : parsed;
    m_syntaxError = parseError;
    m_serverIssues.clear();
    showSyntaxError();
    refreshForm();
    updateDefaultsView();
    m_savedText = m_json->toPlainText();
    setModified(false);
    emit changed();
    validate();
}

bool AppEditor::saveFile(const QString &path, QString *error)
{
    if (m_parseTimer.isActive())
        parseText();
    const QString text = withFinalNewline(m_json->toPlainText());
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0 || !file.commit()) {
        if (error)
            *error = tr("Cannot save %1: %2").arg(path, file.errorString());
        return false;
    }
    m_filePath = path;
    m_savedText = text;
    setModified(false);
    return true;
}

QByteArray AppEditor::templateText()
{
    QFile file(QStringLiteral(":/pier/templates/nginx.json"));
    if (file.open(QIODevice::ReadOnly))
        return file.readAll();
    // Only when the resources were not linked in; still a definition Marathon accepts.
    return QByteArrayLiteral("{\n  \"id\": \"nginx\",\n  \"container\": {\n    \"type\": "
                             "\"DOCKER\",\n    \"docker\": {\n      \"image\": "
                             "\"library/nginx:1.7.9\"\n    }\n  }\n}\n");
}

void AppEditor::newFromTemplate()
{
    loadText(templateText());
    m_filePath.clear();
}

} // namespace pier::ui
