#pragma once

#include "core/apierror.h"
#include "marathon/appdefinition.h"

#include <QHash>
#include <QJsonValue>
#include <QList>
#include <QPointer>
#include <QTimer>
#include <QWidget>
#include <functional>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QPlainTextEdit;
class QScrollArea;
class QSpinBox;
class QSplitter;
class QTabWidget;
class QTableWidget;
class QToolButton;

namespace pier::ui {

class IssueField;

// The app-definition editor: a form and the raw JSON side by side, kept in sync both ways.
// The JSON object is the source of truth: the form edits it through AppDefinition's setters,
// so fields the form does not know survive. Problems (Pier's validation, and Marathon's own
// when it rejects a launch) are shown on the fields they name and in a list under the form.
class AppEditor : public QWidget {
    Q_OBJECT
public:
    explicit AppEditor(QWidget *parent = nullptr);
    ~AppEditor() override;

    // The last state that parsed (the form's state while the JSON text has a syntax error).
    marathon::AppDefinition definition() const { return m_def; }
    // Replaces everything: renders the JSON, refreshes the form, clears Marathon's errors and
    // the modified flag.
    void setDefinition(const marathon::AppDefinition &definition);
    QString jsonText() const;

    bool hasSyntaxError() const { return m_syntaxError.isError(); }
    marathon::JsonParseError syntaxError() const { return m_syntaxError; }
    // Pier's validation and Marathon's errors together, as listed under the form.
    QList<marathon::ValidationIssue> issues() const;
    bool isValid() const { return m_valid; }

    bool isModified() const { return m_modified; }
    void setModified(bool modified);

    // Files: the text is saved as shown in the JSON view (pending edits are parsed first).
    QString filePath() const { return m_filePath; }
    bool loadFile(const QString &path, QString *error);
    bool saveFile(const QString &path, QString *error);
    // The tutorial's nginx.json, untitled and unmodified.
    void newFromTemplate();
    static QByteArray templateText();
    // The text as last loaded or saved, for "changes since saved".
    QString savedText() const { return m_savedText; }

    // Marathon's 422 details: shown on the named fields until that value changes or
    // clearServerErrors() is called.
    void setServerErrors(const QList<pier::FieldError> &errors);
    void clearServerErrors();

    // Parses pending text and validates now instead of after the debounce.
    void validateNow();
    // Moves the focus to the field a JSON pointer names (a table row, a form field, or the
    // JSON text for the syntax error). False when no field matches.
    bool focusPath(const QString &path);
    // Shows the "with defaults" view (what Marathon fills in) or the editable JSON.
    void showDefaults(bool show);

    static QString normalizePath(const QString &path);

signals:
    void changed(); // the definition (or its text) changed
    void validityChanged(bool valid);
    void modificationChanged(bool modified);
    void issuesChanged();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    struct Target {
        IssueField *box = nullptr;
        QTableWidget *table = nullptr;
        int row = -1;
        int column = -1;
        QString rowLabel; // how a row is named in messages ("Row 1", or the env key)
    };

    QWidget *buildForm();
    QWidget *buildJsonSide();
    QWidget *buildIssues();
    IssueField *wrap(QWidget *field);
    IssueField *wrapTable(QTableWidget *table, QToolButton *add, QToolButton *remove);
    QTableWidget *makeTable(const QString &name, const QStringList &headers);

    void loadText(const QByteArray &bytes);
    void formEdited(const std::function<void()> &apply);
    void refreshForm();
    void renderText();
    void onTextChanged();
    void parseText();
    void showSyntaxError();
    void scheduleValidation();
    void validate();
    void applyIssues();
    Target targetFor(const QString &path) const;
    void markModified();
    void updateDefaultsView();

    // Form -> definition for the tables.
    void portsEdited();
    void envEdited();
    void labelsEdited();
    void constraintsEdited();
    void healthEdited();

    marathon::AppDefinition m_def;
    marathon::JsonParseError m_syntaxError;
    QList<marathon::ValidationIssue> m_localIssues;
    struct ServerIssue {
        marathon::ValidationIssue issue;
        QJsonValue valueWhenReported;
    };
    QList<ServerIssue> m_serverIssues;
    QList<marathon::PortMapping> m_ports;  // rows of the port table, with keys not shown
    QList<marathon::HealthCheck> m_checks; // rows of the health table, likewise
    bool m_updating = false; // set while code (not the user) changes widgets: no feedback
    bool m_modified = false;
    bool m_valid = true;
    QString m_filePath;
    QString m_savedText;
    QTimer m_parseTimer;
    QTimer m_validateTimer;

    QSplitter *m_splitter = nullptr;
    QWidget *m_formPane = nullptr;
    QScrollArea *m_scroll = nullptr;
    QWidget *m_form = nullptr;
    QLabel *m_formBanner = nullptr;
    QLineEdit *m_id = nullptr;
    QLineEdit *m_image = nullptr;
    QComboBox *m_network = nullptr;
    QTableWidget *m_portTable = nullptr;
    QDoubleSpinBox *m_cpus = nullptr;
    QDoubleSpinBox *m_mem = nullptr;
    QDoubleSpinBox *m_disk = nullptr;
    QSpinBox *m_instances = nullptr;
    QLineEdit *m_cmd = nullptr;
    QTableWidget *m_envTable = nullptr;
    QTableWidget *m_labelsTable = nullptr;
    QTableWidget *m_constraintsTable = nullptr;
    QTableWidget *m_healthTable = nullptr;
    QDoubleSpinBox *m_minHealth = nullptr;
    QDoubleSpinBox *m_maxOver = nullptr;
    QHash<QWidget *, IssueField *> m_boxes; // field -> its issue frame

    QTabWidget *m_jsonTabs = nullptr;
    QPlainTextEdit *m_json = nullptr;
    QLabel *m_jsonError = nullptr;
    QPlainTextEdit *m_defaults = nullptr;

    QLabel *m_issuesSummary = nullptr;
    QListWidget *m_issuesList = nullptr;
};

} // namespace pier::ui
