// The app editor as a user drives it: typing in the form and in the JSON, seeing problems on
// the fields they concern, and files that round-trip.
#include "marathon/appdefinition.h"
#include "ui/appeditor.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace pier::ui;
using pier::marathon::AppDefinition;
using pier::marathon::JsonParseError;
using pier::marathon::ValidationIssue;

namespace {

QJsonObject parseObject(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

QStringList listTexts(const QListWidget *list)
{
    QStringList texts;
    for (int i = 0; i < list->count(); ++i)
        texts << list->item(i)->text();
    return texts;
}

} // namespace

class TestAppEditor : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void startsFromTheTutorialTemplate();
    void formEditRewritesJson();
    void jsonEditRefreshesForm();
    void typedJsonIsNotReformatted();
    void unknownFieldsSurviveFormEdits();
    void networkAndTablesEditJson();
    void invalidValueShowsOnItsField_data();
    void invalidValueShowsOnItsField();
    void syntaxErrorShowsLineAndColumnAndKeepsForm();
    void serverErrorsLandOnFields();
    void activatingAnIssueFocusesItsField();
    void defaultsViewShowsWhatMarathonFillsIn();
    void saveAndOpenRoundTrip();
    void openingAnInvalidFileShowsTheError();

private:
    template<typename T> T *child(const char *name)
    {
        T *w = m_editor->findChild<T *>(QString::fromLatin1(name));
        if (!w)
            qFatal("no child %s", name);
        return w;
    }
    void replaceInJson(const QString &from, const QString &to);

    AppEditor *m_editor = nullptr;
};

void TestAppEditor::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void TestAppEditor::init()
{
    m_editor = new AppEditor;
    m_editor->resize(1100, 700);
    m_editor->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_editor));
}

void TestAppEditor::cleanup()
{
    delete m_editor;
    m_editor = nullptr;
}

// Selects `from` in the JSON text and types `to` over it, as a user would.
void TestAppEditor::replaceInJson(const QString &from, const QString &to)
{
    auto *json = child<QPlainTextEdit>("jsonEdit");
    const int at = int(json->toPlainText().indexOf(from));
    QVERIFY2(at >= 0, qPrintable(from));
    json->setFocus();
    QTextCursor cursor = json->textCursor();
    cursor.setPosition(at);
    cursor.setPosition(at + int(from.size()), QTextCursor::KeepAnchor);
    json->setTextCursor(cursor);
    if (to.isEmpty())
        QTest::keyClick(json, Qt::Key_Delete);
    else
        QTest::keyClicks(json, to);
}

void TestAppEditor::startsFromTheTutorialTemplate()
{
    QCOMPARE(child<QLineEdit>("idEdit")->text(), QStringLiteral("nginx"));
    QCOMPARE(child<QLineEdit>("imageEdit")->text(), QStringLiteral("library/nginx:1.7.9"));
    QCOMPARE(child<QComboBox>("networkCombo")->currentText(), QStringLiteral("Bridge"));
    QCOMPARE(child<QDoubleSpinBox>("cpusSpin")->value(), 0.2);
    QCOMPARE(child<QDoubleSpinBox>("memSpin")->value(), 256.0);
    QCOMPARE(child<QSpinBox>("instancesSpin")->value(), 1);
    auto *ports = child<QTableWidget>("portTable");
    QCOMPARE(ports->rowCount(), 1);
    QCOMPARE(ports->item(0, 0)->text(), QStringLiteral("80"));
    QCOMPARE(ports->item(0, 2)->text(), QStringLiteral("80"));
    QVERIFY(!m_editor->isModified());
    QVERIFY(m_editor->issues().isEmpty());
    QVERIFY(child<QLabel>("issuesSummary")->text().contains(QStringLiteral("No problems")));
    QVERIFY(!child<QListWidget>("issuesList")->isVisible());
}

void TestAppEditor::formEditRewritesJson()
{
    QSignalSpy modified(m_editor, &AppEditor::modificationChanged);
    auto *id = child<QLineEdit>("idEdit");
    id->setFocus();
    id->selectAll();
    QTest::keyClicks(id, QStringLiteral("web-frontend"));
    const QJsonObject json = parseObject(child<QPlainTextEdit>("jsonEdit")->toPlainText());
    QCOMPARE(json.value(QStringLiteral("id")).toString(), QStringLiteral("web-frontend"));
    // Re-rendered as people write it: "id" first, two-space indent.
    QVERIFY(child<QPlainTextEdit>("jsonEdit")
                ->toPlainText()
                .startsWith(QStringLiteral("{\n  \"id\": \"web-frontend\",\n  \"container\": {")));
    QCOMPARE(m_editor->definition().id(), QStringLiteral("web-frontend"));
    QVERIFY(m_editor->isModified());
    QCOMPARE(modified.count(), 1);

    auto *cpus = child<QDoubleSpinBox>("cpusSpin");
    cpus->setFocus();
    cpus->selectAll();
    QTest::keyClicks(cpus, QStringLiteral("0.5"));
    QCOMPARE(parseObject(child<QPlainTextEdit>("jsonEdit")->toPlainText())
                 .value(QStringLiteral("cpus"))
                 .toDouble(),
             0.5);
}

void TestAppEditor::jsonEditRefreshesForm()
{
    replaceInJson(QStringLiteral("256.0"), QStringLiteral("512"));
    QTRY_COMPARE(child<QDoubleSpinBox>("memSpin")->value(), 512.0);
    replaceInJson(QStringLiteral("library/nginx:1.7.9"), QStringLiteral("library/nginx:1.9"));
    QTRY_COMPARE(child<QLineEdit>("imageEdit")->text(), QStringLiteral("library/nginx:1.9"));
    QVERIFY(m_editor->isModified());
}

void TestAppEditor::typedJsonIsNotReformatted()
{
    // The user's own layout (one-line mapping, "256.0") stays as typed after it parses.
    replaceInJson(QStringLiteral("\"instances\": 1"), QStringLiteral("\"instances\":   3"));
    QTRY_COMPARE(child<QSpinBox>("instancesSpin")->value(), 3);
    const QString text = child<QPlainTextEdit>("jsonEdit")->toPlainText();
    QVERIFY(text.contains(QStringLiteral("\"instances\":   3")));
    QVERIFY(text.contains(QStringLiteral("{ \"containerPort\": 80, \"servicePort\": 80 }")));
    QVERIFY(text.contains(QStringLiteral("256.0")));
}

void TestAppEditor::unknownFieldsSurviveFormEdits()
{
    const QString path = QStringLiteral(PIER_TEST_DATA "/gui/unknown-fields.json");
    QString error;
    QVERIFY2(m_editor->loadFile(path, &error), qPrintable(error));
    const QJsonObject before = parseObject(child<QPlainTextEdit>("jsonEdit")->toPlainText());

    auto *cpus = child<QDoubleSpinBox>("cpusSpin");
    cpus->setFocus();
    cpus->selectAll();
    QTest::keyClicks(cpus, QStringLiteral("1.5"));
    auto *image = child<QLineEdit>("imageEdit");
    image->setFocus();
    image->selectAll();
    QTest::keyClicks(image, QStringLiteral("library/nginx:1.9.15"));
    auto *ports = child<QTableWidget>("portTable");
    ports->item(0, 2)->setText(QStringLiteral("8080")); // as the cell editor commits it

    const QJsonObject after = parseObject(child<QPlainTextEdit>("jsonEdit")->toPlainText());
    QCOMPARE(after.value(QStringLiteral("cpus")).toDouble(), 1.5);
    for (const char *key : {"fetch", "x-pier-note", "backoffFactor", "mem", "instances"})
        QCOMPARE(after.value(QLatin1String(key)), before.value(QLatin1String(key)));
    const QJsonObject container = after.value(QStringLiteral("container")).toObject();
    QCOMPARE(container.value(QStringLiteral("volumes")),
             before.value(QStringLiteral("container")).toObject().value(QStringLiteral("volumes")));
    const QJsonObject docker = container.value(QStringLiteral("docker")).toObject();
    QCOMPARE(docker.value(QStringLiteral("forcePullImage")), QJsonValue(true));
    QCOMPARE(docker.value(QStringLiteral("image")).toString(),
             QStringLiteral("library/nginx:1.9.15"));
    const QJsonObject mapping =
        docker.value(QStringLiteral("portMappings")).toArray().at(0).toObject();
    QCOMPARE(mapping.value(QStringLiteral("servicePort")).toInt(), 8080);
    // A key of the mapping the table does not show is kept too.
    QCOMPARE(mapping.value(QStringLiteral("labels")).toObject().value(QStringLiteral("VIP_0")),
             QJsonValue(QStringLiteral("1.2.3.4:80")));
}

void TestAppEditor::networkAndTablesEditJson()
{
    auto *network = child<QComboBox>("networkCombo");
    network->setFocus();
    QTest::keyClick(network, Qt::Key_Up); // Bridge -> Host
    QCOMPARE(network->currentText(), QStringLiteral("Host"));
    QCOMPARE(m_editor->definition().networkMode(), pier::marathon::NetworkMode::Host);
    QTest::keyClick(network, Qt::Key_Down);
    QCOMPARE(m_editor->definition().networkMode(), pier::marathon::NetworkMode::Bridge);

    // Add an environment variable with the Add button and type into its cells.
    auto *env = child<QTableWidget>("envTable");
    QTest::mouseClick(child<QToolButton>("addEnvButton"), Qt::LeftButton);
    QCOMPARE(env->rowCount(), 1);
    env->item(0, 0)->setText(QStringLiteral("NGINX_PORT"));
    env->item(0, 1)->setText(QStringLiteral("80"));
    QCOMPARE(m_editor->definition().env().value(QStringLiteral("NGINX_PORT")),
             QStringLiteral("80"));
    QVERIFY(
        child<QPlainTextEdit>("jsonEdit")->toPlainText().contains(QStringLiteral("NGINX_PORT")));

    // A second port mapping, then removing it again.
    auto *ports = child<QTableWidget>("portTable");
    QTest::mouseClick(child<QToolButton>("addPortButton"), Qt::LeftButton);
    QCOMPARE(ports->rowCount(), 2);
    ports->item(1, 0)->setText(QStringLiteral("443"));
    QCOMPARE(m_editor->definition().portMappings().size(), 2);
    QCOMPARE(m_editor->definition().portMappings().at(1).containerPort, 443);
    ports->setCurrentCell(1, 0);
    QTest::mouseClick(child<QToolButton>("removePortButton"), Qt::LeftButton);
    QCOMPARE(ports->rowCount(), 1);
    QCOMPARE(m_editor->definition().portMappings().size(), 1);

    // A health check row gets sensible defaults.
    QTest::mouseClick(child<QToolButton>("addHealthButton"), Qt::LeftButton);
    const auto checks = m_editor->definition().healthChecks();
    QCOMPARE(checks.size(), 1);
    QCOMPARE(checks.at(0).protocol, QStringLiteral("HTTP"));
    QCOMPARE(checks.at(0).path, QStringLiteral("/"));
}

void TestAppEditor::invalidValueShowsOnItsField_data()
{
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("to");
    QTest::addColumn<QString>("pathPrefix");
    QTest::addColumn<QString>("field");
    QTest::addColumn<int>("row"); // >= 0: a row of the table `field`

    QTest::newRow("negative cpus") << QStringLiteral("0.2") << QStringLiteral("-1")
                                   << QStringLiteral("/cpus") << QStringLiteral("cpusSpin") << -1;
    QTest::newRow("bad id") << QStringLiteral("\"nginx\"") << QStringLiteral("\"Bad_ID\"")
                            << QStringLiteral("/id") << QStringLiteral("idEdit") << -1;
    QTest::newRow("empty image") << QStringLiteral("library/nginx:1.7.9") << QString()
                                 << QStringLiteral("/container/docker/image")
                                 << QStringLiteral("imageEdit") << -1;
    QTest::newRow("port out of range")
        << QStringLiteral("\"containerPort\": 80") << QStringLiteral("\"containerPort\": 70000")
        << QStringLiteral("/container/docker/portMappings/0") << QStringLiteral("portTable") << 0;
    QTest::newRow("negative instances")
        << QStringLiteral("\"instances\": 1") << QStringLiteral("\"instances\": -2")
        << QStringLiteral("/instances") << QStringLiteral("instancesSpin") << -1;
}

void TestAppEditor::invalidValueShowsOnItsField()
{
    QFETCH(QString, from);
    QFETCH(QString, to);
    QFETCH(QString, pathPrefix);
    QFETCH(QString, field);
    QFETCH(int, row);

    QSignalSpy validity(m_editor, &AppEditor::validityChanged);
    replaceInJson(from, to);
    QTRY_VERIFY(!m_editor->isValid());
    QCOMPARE(validity.count(), 1);

    // What Marathon's rules say about this text; the editor must show exactly that.
    JsonParseError error;
    const AppDefinition def =
        AppDefinition::parse(child<QPlainTextEdit>("jsonEdit")->toPlainText().toUtf8(), &error);
    QVERIFY(!error.isError());
    ValidationIssue issue;
    for (const ValidationIssue &i : pier::marathon::validateApp(def)) {
        if (i.path.startsWith(pathPrefix)) {
            issue = i;
            break;
        }
    }
    QVERIFY2(!issue.message.isEmpty(), qPrintable(pathPrefix));

    auto *widget = m_editor->findChild<QWidget *>(field);
    QVERIFY(widget);
    QVERIFY(widget->property("pierIssue").toString().contains(issue.message));
    QVERIFY(widget->toolTip().contains(issue.message));
    // The message in words under the field, not only a colour.
    auto *words = m_editor->findChild<QLabel *>(field + QStringLiteral("Issue"));
    QVERIFY(words);
    QVERIFY(words->isVisible());
    QVERIFY(words->text().contains(issue.message));
    if (row >= 0) {
        auto *table = qobject_cast<QTableWidget *>(widget);
        QVERIFY(table->item(row, 0)->toolTip().contains(issue.message));
        QVERIFY(!table->item(row, 0)->icon().isNull());
    }
    // And in the list under the form, as "path: message".
    auto *list = child<QListWidget>("issuesList");
    QVERIFY(list->isVisible());
    QVERIFY(listTexts(list).contains(issue.path + QStringLiteral(": ") + issue.message));
    QVERIFY(!child<QLabel>("issuesSummary")->text().contains(QStringLiteral("No problems")));

    // Putting the value back clears the field.
    replaceInJson(to.isEmpty() ? QStringLiteral("\"image\": \"\"") : to,
                  to.isEmpty() ? QStringLiteral("\"image\": \"") + from + QStringLiteral("\"")
                               : from);
    QTRY_VERIFY(m_editor->isValid());
    QVERIFY(widget->property("pierIssue").toString().isEmpty());
    QVERIFY(!words->isVisible());
    QVERIFY(!list->isVisible());
}

void TestAppEditor::syntaxErrorShowsLineAndColumnAndKeepsForm()
{
    auto *json = child<QPlainTextEdit>("jsonEdit");
    replaceInJson(QStringLiteral("\"cpus\": 0.2,"), QStringLiteral("\"cpus\": 0.2"));
    const QString broken = json->toPlainText();
    JsonParseError expected;
    AppDefinition::parse(broken.toUtf8(), &expected);
    QVERIFY(expected.isError());

    auto *label = child<QLabel>("jsonErrorLabel");
    QTRY_VERIFY(label->isVisible());
    QVERIFY2(label->text().contains(
                 QStringLiteral("line %1, column %2").arg(expected.line).arg(expected.column)),
             qPrintable(label->text()));
    QVERIFY(m_editor->hasSyntaxError());
    QVERIFY(!m_editor->isValid());
    // The error location is highlighted in the text.
    QVERIFY(!json->extraSelections().isEmpty());
    QCOMPARE(json->extraSelections().first().cursor.blockNumber() + 1, expected.line);
    // The text stays as typed; the form keeps the last good state.
    QCOMPARE(json->toPlainText(), broken);
    QCOMPARE(child<QLineEdit>("idEdit")->text(), QStringLiteral("nginx"));
    QCOMPARE(child<QDoubleSpinBox>("cpusSpin")->value(), 0.2);
    QVERIFY(child<QLabel>("formBanner")->isVisible());
    QVERIFY(
        listTexts(child<QListWidget>("issuesList"))
            .first()
            .startsWith(
                QStringLiteral("JSON line %1, column %2").arg(expected.line).arg(expected.column)));

    // Typing the comma back fixes it.
    replaceInJson(QStringLiteral("\"cpus\": 0.2"), QStringLiteral("\"cpus\": 0.25,"));
    QTRY_VERIFY(!label->isVisible());
    QTRY_COMPARE(child<QDoubleSpinBox>("cpusSpin")->value(), 0.25);
    QVERIFY(json->extraSelections().isEmpty());
    QVERIFY(child<QWidget>("appForm")->isEnabled());
}

void TestAppEditor::serverErrorsLandOnFields()
{
    m_editor->setServerErrors(
        {{QStringLiteral("/upgradeStrategy/minimumHealthCapacity"),
          {QStringLiteral("is greater than 1")}},
         {QStringLiteral("/container/docker/portMappings(0)/servicePort"),
          {QStringLiteral("Requested service port 80 conflicts with a service port in use")}},
         {QStringLiteral("/"),
          {QStringLiteral("AppDefinition must either contain one of "
                          "'cmd' or 'args', and/or a 'container'.")}}});
    QVERIFY(!m_editor->isValid());
    auto *minHealth = child<QDoubleSpinBox>("minHealthSpin");
    QVERIFY(
        minHealth->property("pierIssue").toString().contains(QStringLiteral("is greater than 1")));
    QVERIFY(child<QLabel>("minHealthSpinIssue")->isVisible());
    auto *ports = child<QTableWidget>("portTable");
    QVERIFY(ports->item(0, 0)->toolTip().contains(QStringLiteral("conflicts")));
    QVERIFY(child<QLabel>("portTableIssue")->text().contains(QStringLiteral("Port mapping 1")));
    const QStringList items = listTexts(child<QListWidget>("issuesList"));
    QVERIFY(items.contains(
        QStringLiteral("/upgradeStrategy/minimumHealthCapacity: Marathon: is greater than 1")));
    QVERIFY(items.filter(QStringLiteral("/: Marathon: AppDefinition must")).size() == 1);

    // Changing the value Marathon complained about clears that complaint only.
    minHealth->setFocus();
    minHealth->selectAll();
    QTest::keyClicks(minHealth, QStringLiteral("0.5"));
    QTRY_VERIFY(minHealth->property("pierIssue").toString().isEmpty());
    QVERIFY(ports->item(0, 0)->toolTip().contains(QStringLiteral("conflicts")));

    m_editor->clearServerErrors();
    QVERIFY(m_editor->isValid());
    QVERIFY(ports->item(0, 0)->toolTip().isEmpty());
}

void TestAppEditor::activatingAnIssueFocusesItsField()
{
    m_editor->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_editor));
    m_editor->setServerErrors({{QStringLiteral("/cpus"), {QStringLiteral("too many")}},
                               {QStringLiteral("/healthChecks/0/path"), {QStringLiteral("x")}}});
    auto *list = child<QListWidget>("issuesList");
    list->setFocus();
    list->setCurrentRow(0);
    QTest::keyClick(list, Qt::Key_Return);
    QTRY_VERIFY(child<QDoubleSpinBox>("cpusSpin")->hasFocus());

    // Double-click works as well (QTest needs the single click first to press the item).
    list->setCurrentRow(0);
    const QRect rect = list->visualItemRect(list->item(0));
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, rect.center());
    QTest::mouseDClick(list->viewport(), Qt::LeftButton, {}, rect.center());
    QTRY_VERIFY(child<QDoubleSpinBox>("cpusSpin")->hasFocus());
}

void TestAppEditor::defaultsViewShowsWhatMarathonFillsIn()
{
    auto *tabs = child<QTabWidget>("jsonTabs");
    m_editor->showDefaults(true);
    auto *defaults = child<QPlainTextEdit>("defaultsView");
    QVERIFY(defaults->isVisible());
    QVERIFY(defaults->isReadOnly());
    QCOMPARE(parseObject(defaults->toPlainText()), m_editor->definition().withDefaults());
    m_editor->showDefaults(false);
    QCOMPARE(tabs->currentIndex(), 0);

    // It follows the edits.
    auto *instances = child<QSpinBox>("instancesSpin");
    instances->setFocus();
    instances->selectAll();
    QTest::keyClicks(instances, QStringLiteral("4"));
    QCOMPARE(parseObject(defaults->toPlainText()).value(QStringLiteral("instances")).toInt(), 4);
}

void TestAppEditor::saveAndOpenRoundTrip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto *id = child<QLineEdit>("idEdit");
    id->setFocus();
    id->selectAll();
    QTest::keyClicks(id, QStringLiteral("shop"));
    QVERIFY(m_editor->isModified());

    const QString path = dir.filePath(QStringLiteral("shop.json"));
    QString error;
    QVERIFY2(m_editor->saveFile(path, &error), qPrintable(error));
    QVERIFY(!m_editor->isModified());
    QCOMPARE(m_editor->filePath(), path);

    AppEditor other;
    QVERIFY2(other.loadFile(path, &error), qPrintable(error));
    QCOMPARE(other.definition(), m_editor->definition());
    QCOMPARE(other.jsonText(), m_editor->jsonText() + QStringLiteral(""));
    QCOMPARE(other.findChild<QLineEdit *>(QStringLiteral("idEdit"))->text(),
             QStringLiteral("shop"));
    QVERIFY(!other.isModified());
    QVERIFY(other.isValid());

    // A file that cannot be written is an error with the reason, and nothing changes.
    QVERIFY(!m_editor->saveFile(dir.filePath(QStringLiteral("no/such/dir/x.json")), &error));
    QVERIFY(error.contains(QStringLiteral("x.json")));
    QCOMPARE(m_editor->filePath(), path);
}

void TestAppEditor::openingAnInvalidFileShowsTheError()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("broken.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\n  \"id\": \"x\"\n  \"cpus\": 1\n}\n");
    file.close();
    QString error;
    QVERIFY(m_editor->loadFile(path, &error));
    QVERIFY(m_editor->hasSyntaxError());
    QCOMPARE(m_editor->syntaxError().line, 3);
    QVERIFY(child<QLabel>("jsonErrorLabel")->text().contains(QStringLiteral("line 3")));
    QVERIFY(m_editor->jsonText().startsWith(QStringLiteral("{\n  \"id\": \"x\"\n")));
    QVERIFY(!m_editor->loadFile(dir.filePath(QStringLiteral("missing.json")), &error));
    QVERIFY(error.contains(QStringLiteral("missing.json")));
}

QTEST_MAIN(TestAppEditor)
#include "tst_appeditor.moc"
