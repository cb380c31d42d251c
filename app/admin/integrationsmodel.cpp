#include "app/admin/integrationsmodel.h"

#include "app/auth/session.h"
#include "app/models/providerwords.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QPointer>
#include <QRegularExpression>
#include <QUrl>

#include <algorithm>
#include <array>

namespace cc::app {
namespace {

// What the server accepts (server/integrations/store.cpp); the answer is bounded likewise.
constexpr qsizetype kMaxIntegrations = 16;
constexpr qsizetype kMaxSettings = 16;
constexpr qsizetype kMaxSettingChars = 300;
constexpr qsizetype kMaxCredentialChars = 4000;
constexpr qsizetype kMaxExternalIdChars = 255;
constexpr qsizetype kMaxLocations = 2000;
constexpr qsizetype kMaxErrorChars = 1000;
constexpr qint64 kMaxReplyBytes = 64 * 1024;

enum class Kind { HttpsUrl, Version, DateVersion, Text };

struct SettingSpec {
    const char* name;
    const char* label;
    const char* placeholder; // the server's default when there is one
    bool required;
    Kind kind;
    const char* hint;
};

struct CredentialSpec {
    const char* name;
    const char* label;
};

struct ProviderSpec {
    const char* provider;
    const char* purpose;
    std::array<SettingSpec, 3> settings; // unused ones have no name
    std::array<CredentialSpec, 2> credentials;
    const char* locationHint;
};

const std::array<ProviderSpec, 3> kSpecs{{
    {"shopify",
     QT_TRANSLATE_NOOP("Integrations",
                       "Stock: answers “do you have it?” on the phone and at the counter."),
     {{{"base_url", QT_TRANSLATE_NOOP("Integrations", "Shop address"),
        "https://your-shop.myshopify.com", true, Kind::HttpsUrl,
        QT_TRANSLATE_NOOP("Integrations", "The shop's own address, https://….myshopify.com")},
       {"api_version", QT_TRANSLATE_NOOP("Integrations", "API version"), "2024-07", false,
        Kind::Version, QT_TRANSLATE_NOOP("Integrations", "Leave empty for 2024-07")},
       {nullptr, nullptr, nullptr, false, Kind::Text, nullptr}}},
     {{{"access_token", QT_TRANSLATE_NOOP("Integrations", "Admin API access token")},
       {nullptr, nullptr}}},
     QT_TRANSLATE_NOOP("Integrations", "gid://shopify/Location/123 (or just 123)")},
    {"square",
     QT_TRANSLATE_NOOP("Integrations",
                       "Stock: answers “do you have it?” on the phone and at the counter."),
     {{{"base_url", QT_TRANSLATE_NOOP("Integrations", "API address"),
        "https://connect.squareup.com", false, Kind::HttpsUrl,
        QT_TRANSLATE_NOOP("Integrations", "Leave empty for Square's own")},
       {"square_version", QT_TRANSLATE_NOOP("Integrations", "API version"), "2024-07-17", false,
        Kind::DateVersion, QT_TRANSLATE_NOOP("Integrations", "Leave empty for 2024-07-17")},
       {nullptr, nullptr, nullptr, false, Kind::Text, nullptr}}},
     {{{"access_token", QT_TRANSLATE_NOOP("Integrations", "Access token")}, {nullptr, nullptr}}},
     QT_TRANSLATE_NOOP("Integrations", "Square location ID, like L8F1KZ3M6XH7A")},
    {"google_calendar",
     QT_TRANSLATE_NOOP("Integrations",
                       "Appointments: keeps each store's Google Calendar in step with bookings."),
     {{{"client_id", QT_TRANSLATE_NOOP("Integrations", "OAuth client ID"),
        "1234-abc.apps.googleusercontent.com", true, Kind::Text,
        QT_TRANSLATE_NOOP("Integrations", "From the Google Cloud console")},
       {"token_url", QT_TRANSLATE_NOOP("Integrations", "Token address"),
        "https://oauth2.googleapis.com/token", false, Kind::HttpsUrl,
        QT_TRANSLATE_NOOP("Integrations", "Leave empty for Google's own")},
       {"calendar_url", QT_TRANSLATE_NOOP("Integrations", "Calendar API address"),
        "https://www.googleapis.com/calendar/v3", false, Kind::HttpsUrl,
        QT_TRANSLATE_NOOP("Integrations", "Leave empty for Google's own")}}},
     {{{"client_secret", QT_TRANSLATE_NOOP("Integrations", "OAuth client secret")},
       {"refresh_token", QT_TRANSLATE_NOOP("Integrations", "Refresh token")}}},
     QT_TRANSLATE_NOOP("Integrations", "Calendar ID, like store@group.calendar.google.com")},
}};

QString tr(const char* source)
{
    return QCoreApplication::translate("Integrations", source);
}

// A label inside a sentence: "Shop address" -> "shop address", but "OAuth client ID" and
// "API version" keep their capitals.
QString inSentence(const char* label)
{
    QString text = tr(label);
    if (text.size() > 1 && text.at(0).isUpper() && text.at(1).isLower()) {
        text[0] = text.at(0).toLower();
    }
    return text;
}

const ProviderSpec* specOf(const QString& provider)
{
    for (const auto& s : kSpecs) {
        if (provider == QLatin1String(s.provider)) {
            return &s;
        }
    }
    return nullptr;
}

bool printable(const QString& text)
{
    return std::none_of(text.begin(), text.end(),
                        [](QChar c) { return c.unicode() < 0x20 || c.unicode() == 0x7f; });
}

const QRegularExpression& uuidPattern()
{
    static const QRegularExpression re(
        QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"));
    return re;
}

// Why a setting's value is not one the server takes, or empty.
QString checkSetting(const SettingSpec& spec, const QString& value)
{
    const QString label = tr(spec.label);
    if (value.size() > kMaxSettingChars || !printable(value)) {
        return tr("%1: at most %2 characters, on one line.").arg(label).arg(kMaxSettingChars);
    }
    switch (spec.kind) {
    case Kind::HttpsUrl: {
        const QUrl url(value, QUrl::StrictMode);
        if (!url.isValid() || url.scheme() != QLatin1String("https") || url.host().isEmpty() ||
            url.hasQuery() || url.hasFragment() || !url.userInfo().isEmpty()) {
            return tr("%1 must be a web address starting with https://, like %2.")
                .arg(label, QString::fromLatin1(spec.placeholder));
        }
        return {};
    }
    case Kind::Version: {
        static const QRegularExpression re(QStringLiteral("^[0-9]{4}-[0-9]{2}$"));
        return re.match(value).hasMatch()
                   ? QString()
                   : tr("%1 must look like %2.").arg(label, QString::fromLatin1(spec.placeholder));
    }
    case Kind::DateVersion: {
        static const QRegularExpression re(QStringLiteral("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"));
        return re.match(value).hasMatch()
                   ? QString()
                   : tr("%1 must look like %2.").arg(label, QString::fromLatin1(spec.placeholder));
    }
    case Kind::Text:
        return {};
    }
    return {};
}

// A store link as the provider names the store, or empty with `error` set.
QString externalId(const QString& provider, const QString& given, QString* error)
{
    QString id = given.trimmed();
    if (provider == QLatin1String("shopify")) {
        static const QRegularExpression digits(QStringLiteral("^[0-9]{1,19}$"));
        static const QRegularExpression gid(QStringLiteral("^gid://shopify/Location/[0-9]{1,19}$"));
        if (digits.match(id).hasMatch()) {
            id = QStringLiteral("gid://shopify/Location/") + id;
        }
        if (!gid.match(id).hasMatch()) {
            *error = tr("“%1” is not a Shopify location: it looks like gid://shopify/Location/123.")
                         .arg(given.trimmed().left(60));
            return {};
        }
    }
    if (id.size() > kMaxExternalIdChars || !printable(id)) {
        *error = tr("A store link is at most %1 characters, on one line.").arg(kMaxExternalIdChars);
        return {};
    }
    return id;
}

QString jsonError(QNetworkReply* reply)
{
    const QJsonObject o = QJsonDocument::fromJson(reply->read(kMaxReplyBytes)).object();
    return o.value(QStringLiteral("error")).toString().left(kMaxErrorChars);
}

QDateTime isoTime(const QJsonValue& value)
{
    const QString text = value.toString();
    if (text.isEmpty() || text.size() > 40) {
        return {};
    }
    QDateTime t = QDateTime::fromString(text, Qt::ISODate);
    return t.isValid() ? t.toUTC() : QDateTime();
}

} // namespace

QStringList IntegrationsModel::providers()
{
    QStringList out;
    for (const auto& s : kSpecs) {
        out << QString::fromLatin1(s.provider);
    }
    return out;
}

int IntegrationsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant IntegrationsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Row& r = m_rows.at(index.row());
    const ProviderSpec* spec = specOf(r.provider);
    switch (role) {
    case ProviderRole:
        return r.provider;
    case Qt::DisplayRole:
    case NameRole:
        return providers::displayName(r.provider);
    case PurposeRole:
        return spec != nullptr ? tr(spec->purpose) : QString();
    case ConnectedRole:
        return r.connected;
    case EnabledRole:
        return r.enabled;
    case StatusRole:
        if (!r.connected) {
            return QStringLiteral("not_connected");
        }
        if (!r.enabled) {
            return QStringLiteral("off");
        }
        return r.status == QLatin1String("ok") || r.status == QLatin1String("failing")
                   ? r.status
                   : QStringLiteral("untested");
    case StatusTextRole:
        if (!r.connected) {
            return tr("Not connected");
        }
        if (!r.enabled) {
            return tr("Off");
        }
        if (r.status == QLatin1String("ok")) {
            return tr("Working");
        }
        if (r.status == QLatin1String("failing")) {
            return tr("Failing");
        }
        return tr("Not tested yet");
    case LastErrorRole:
        return r.lastError;
    case CheckedAtRole:
        return r.checkedAt;
    case UpdatedAtRole:
        return r.updatedAt;
    case SettingsRole:
        return r.settings;
    case SettingFieldsRole: {
        QVariantList fields;
        if (spec != nullptr) {
            for (const auto& s : spec->settings) {
                if (s.name == nullptr) {
                    continue;
                }
                fields.push_back(QVariantMap{
                    {QStringLiteral("name"), QString::fromLatin1(s.name)},
                    {QStringLiteral("label"), tr(s.label)},
                    {QStringLiteral("placeholder"), QString::fromLatin1(s.placeholder)},
                    {QStringLiteral("required"), s.required},
                    {QStringLiteral("hint"), tr(s.hint)},
                });
            }
        }
        return fields;
    }
    case CredentialFieldsRole: {
        QVariantList fields;
        if (spec != nullptr) {
            for (const auto& c : spec->credentials) {
                if (c.name == nullptr) {
                    continue;
                }
                const QString name = QString::fromLatin1(c.name);
                fields.push_back(QVariantMap{
                    {QStringLiteral("name"), name},
                    {QStringLiteral("label"), tr(c.label)},
                    {QStringLiteral("saved"), r.credentialsSet.contains(name)},
                });
            }
        }
        return fields;
    }
    case LocationsRole: {
        QVariantMap out;
        for (auto it = r.locations.begin(); it != r.locations.end(); ++it) {
            out.insert(it.key(), it.value());
        }
        return out;
    }
    case LinkedCountRole:
        return static_cast<int>(r.locations.size());
    case LocationHintRole:
        return spec != nullptr ? tr(spec->locationHint) : QString();
    default:
        return {};
    }
}

QHash<int, QByteArray> IntegrationsModel::roleNames() const
{
    return {{ProviderRole, "provider"},
            {NameRole, "name"},
            {PurposeRole, "purpose"},
            {ConnectedRole, "connected"},
            {EnabledRole, "isOn"},
            {StatusRole, "status"},
            {StatusTextRole, "statusText"},
            {LastErrorRole, "lastError"},
            {CheckedAtRole, "checkedAt"},
            {UpdatedAtRole, "updatedAt"},
            {SettingsRole, "settings"},
            {SettingFieldsRole, "settingFields"},
            {CredentialFieldsRole, "credentialFields"},
            {LocationsRole, "locations"},
            {LinkedCountRole, "linkedCount"},
            {LocationHintRole, "locationHint"}};
}

int IntegrationsModel::rowOf(const QString& provider) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).provider == provider) {
            return i;
        }
    }
    return -1;
}

std::optional<QList<IntegrationsModel::Row>> IntegrationsModel::parse(const QByteArray& body)
{
    const QJsonValue list =
        QJsonDocument::fromJson(body).object().value(QStringLiteral("integrations"));
    if (!list.isArray() || list.toArray().size() > kMaxIntegrations) {
        return std::nullopt;
    }
    QList<Row> rows;
    for (const auto& provider : providers()) {
        rows.push_back(Row{provider, false, false, {}, {}, {}, {}, {}, {}, {}});
    }
    QStringList seen;
    for (const auto& value : list.toArray()) {
        if (!value.isObject()) {
            return std::nullopt;
        }
        const QJsonObject o = value.toObject();
        const QString provider = o.value(QStringLiteral("provider")).toString();
        if (provider.isEmpty() || seen.contains(provider)) {
            return std::nullopt;
        }
        seen << provider;
        const auto at = std::find_if(rows.begin(), rows.end(),
                                     [&](const Row& r) { return r.provider == provider; });
        if (at == rows.end()) {
            continue; // a provider of a newer server: this app cannot set it up
        }
        Row& r = *at;
        const QJsonValue enabled = o.value(QStringLiteral("enabled"));
        const QJsonValue settings = o.value(QStringLiteral("settings"));
        const QJsonValue credentials = o.value(QStringLiteral("credentials_set"));
        const QJsonValue locations = o.value(QStringLiteral("locations"));
        const QString status = o.value(QStringLiteral("status")).toString();
        if (!enabled.isBool() || !settings.isObject() ||
            settings.toObject().size() > kMaxSettings ||
            !(credentials.isArray() || credentials.isUndefined()) ||
            credentials.toArray().size() > kMaxSettings ||
            !(locations.isObject() || locations.isUndefined()) ||
            locations.toObject().size() > kMaxLocations) {
            return std::nullopt;
        }
        r.connected = true;
        r.enabled = enabled.toBool();
        r.status = status == QLatin1String("ok") || status == QLatin1String("failing")
                       ? status
                       : QStringLiteral("untested");
        r.lastError = o.value(QStringLiteral("last_error")).toString().left(kMaxErrorChars);
        r.checkedAt = isoTime(o.value(QStringLiteral("checked_at")));
        r.updatedAt = isoTime(o.value(QStringLiteral("updated_at")));
        const QJsonObject s = settings.toObject();
        for (auto it = s.begin(); it != s.end(); ++it) {
            if (!it.value().isString()) {
                return std::nullopt;
            }
            r.settings.insert(it.key().left(64), it.value().toString().left(kMaxSettingChars));
        }
        for (const auto& c : credentials.toArray()) {
            r.credentialsSet << c.toString().left(64);
        }
        const QJsonObject l = locations.toObject();
        for (auto it = l.begin(); it != l.end(); ++it) {
            if (!it.value().isString()) {
                return std::nullopt;
            }
            r.locations.insert(it.key().left(64), it.value().toString().left(kMaxExternalIdChars));
        }
    }
    return rows;
}

IntegrationsModel::Patch IntegrationsModel::makePatch(const Row* current, const QString& provider,
                                                      const QVariantMap& settings,
                                                      const QVariantMap& credentials,
                                                      const QVariant& locations, bool enabled)
{
    const ProviderSpec* spec = specOf(provider);
    if (spec == nullptr) {
        return {{}, tr("This app cannot set up “%1”.").arg(provider.left(40))};
    }
    const QString name = providers::displayName(provider);
    QJsonObject body{{QStringLiteral("enabled"), enabled}};

    QJsonObject settingsOut;
    for (auto it = settings.begin(); it != settings.end(); ++it) {
        if (std::none_of(spec->settings.begin(), spec->settings.end(), [&](const SettingSpec& s) {
                return s.name != nullptr && it.key() == QLatin1String(s.name);
            })) {
            return {{}, tr("%1 has no setting “%2”.").arg(name, it.key().left(40))};
        }
    }
    for (const auto& s : spec->settings) {
        if (s.name == nullptr) {
            continue;
        }
        const QString value = settings.value(QString::fromLatin1(s.name)).toString().trimmed();
        if (value.isEmpty()) {
            if (s.required) {
                return {{},
                        tr("Enter the %1 (%2).")
                            .arg(inSentence(s.label), QString::fromLatin1(s.placeholder))};
            }
            continue; // the server's default
        }
        if (const QString problem = checkSetting(s, value); !problem.isEmpty()) {
            return {{}, problem};
        }
        settingsOut.insert(QString::fromLatin1(s.name), value);
    }
    body.insert(QStringLiteral("settings"), settingsOut);

    QJsonObject credentialsOut;
    QStringList missing;
    for (const auto& c : spec->credentials) {
        if (c.name == nullptr) {
            continue;
        }
        const QString value = credentials.value(QString::fromLatin1(c.name)).toString().trimmed();
        if (value.isEmpty()) {
            missing << inSentence(c.label);
            continue;
        }
        if (value.size() > kMaxCredentialChars || !printable(value)) {
            return {{},
                    tr("The %1 is at most %2 characters, on one line.")
                        .arg(inSentence(c.label))
                        .arg(kMaxCredentialChars)};
        }
        credentialsOut.insert(QString::fromLatin1(c.name), value);
    }
    const bool connected = current != nullptr && current->connected;
    if (!credentialsOut.isEmpty() && !missing.isEmpty()) {
        return {{},
                tr("Enter the %1 too, or leave every credential empty to keep the saved ones.")
                    .arg(missing.join(tr(" and ")))};
    }
    if (credentialsOut.isEmpty() && !connected) {
        return {{}, tr("Enter the %1 to connect %2.").arg(missing.join(tr(" and ")), name)};
    }
    if (credentialsOut.isEmpty() && connected) {
        // A new address gets the credentials again (the server refuses to send the saved ones
        // anywhere else).
        for (const auto& s : spec->settings) {
            if (s.name == nullptr || s.kind != Kind::HttpsUrl) {
                continue;
            }
            const QString key = QString::fromLatin1(s.name);
            const QString wanted =
                settingsOut.contains(key)
                    ? settingsOut.value(key).toString()
                    : (s.required ? QString() : QString::fromLatin1(s.placeholder));
            const QString saved = current->settings.value(key).toString();
            if (!saved.isEmpty() && wanted != saved) {
                return {{},
                        tr("The %1 changes: enter the %2 again.")
                            .arg(inSentence(s.label), missing.join(tr(" and ")))};
            }
        }
    }
    if (!credentialsOut.isEmpty()) {
        body.insert(QStringLiteral("credentials"), credentialsOut);
    }

    if (locations.isValid() && !locations.isNull()) {
        if (!locations.canConvert<QVariantMap>()) {
            return {{}, tr("The store links are not a list of stores.")};
        }
        const QVariantMap given = locations.toMap();
        if (given.size() > kMaxLocations) {
            return {{}, tr("At most %1 stores can be linked.").arg(kMaxLocations)};
        }
        QJsonObject links;
        for (auto it = given.begin(); it != given.end(); ++it) {
            if (!uuidPattern().match(it.key()).hasMatch()) {
                return {{}, tr("The store links name a store this app does not know.")};
            }
            if (it.value().toString().trimmed().isEmpty()) {
                continue; // not linked
            }
            QString problem;
            const QString id = externalId(provider, it.value().toString(), &problem);
            if (!problem.isEmpty()) {
                return {{}, problem};
            }
            links.insert(it.key(), id);
        }
        body.insert(QStringLiteral("locations"), links);
    }
    return {body, {}};
}

void IntegrationsModel::setRows(QList<Row> rows)
{
    if (rows == m_rows) {
        return;
    }
    if (rows.size() == m_rows.size()) {
        // The same providers in the same order: only what changed, so an open form stays.
        for (int i = 0; i < rows.size(); ++i) {
            if (!(rows[i] == m_rows[i])) {
                m_rows[i] = rows[i];
                Q_EMIT dataChanged(index(i), index(i));
            }
        }
        return;
    }
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

void IntegrationsModel::reload()
{
    fetch(QStringLiteral("/v1/admin/integrations"), [this](const QByteArray& body) {
        auto rows = parse(body);
        if (!rows) {
            return false;
        }
        setRows(std::move(*rows));
        return true;
    });
}

bool IntegrationsModel::begin(const QString& provider)
{
    if (!m_busy.isEmpty()) {
        setMessage(provider,
                   tr("Wait until %1 is done, then try again.").arg(providers::displayName(m_busy)),
                   true);
        return false;
    }
    if (session() == nullptr || session()->state() != Session::State::SignedIn) {
        setMessage(provider, tr("Sign in first."), true);
        return false;
    }
    m_busy = provider;
    Q_EMIT busyChanged();
    return true;
}

bool IntegrationsModel::sent(const QString& provider, QNetworkReply* reply)
{
    if (reply != nullptr) {
        return true;
    }
    finish();
    setMessage(provider, tr("Sign in first."), true);
    return false;
}

void IntegrationsModel::finish()
{
    if (!m_busy.isEmpty()) {
        m_busy.clear();
        Q_EMIT busyChanged();
    }
}

void IntegrationsModel::save(const QString& provider, const QVariantMap& settings,
                             const QVariantMap& credentials, const QVariant& locations,
                             bool enabled)
{
    const int row = rowOf(provider);
    const Patch patch = makePatch(row >= 0 ? &m_rows.at(row) : nullptr, provider, settings,
                                  credentials, locations, enabled);
    if (!patch.error.isEmpty()) {
        setMessage(provider, patch.error, true);
        return;
    }
    if (!begin(provider)) {
        return;
    }
    QNetworkReply* reply =
        session()->apiPut(QStringLiteral("/v1/admin/integrations/%1").arg(provider), patch.body);
    if (!sent(provider, reply)) {
        return;
    }
    const bool linked = !patch.body.value(QStringLiteral("locations")).toObject().isEmpty() ||
                        (!patch.body.contains(QStringLiteral("locations")) && row >= 0 &&
                         !m_rows.at(row).locations.isEmpty());
    connect(reply, &QNetworkReply::finished, this, [this, reply, provider, linked, enabled] {
        reply->deleteLater();
        finish();
        const QString name = providers::displayName(provider);
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        switch (status) {
        case 200:
            setMessage(
                provider,
                !enabled ? tr("%1 saved, and off: nothing asks it until it is on again.").arg(name)
                : linked ? tr("%1 saved. Test the connection to check that it works.").arg(name)
                         : tr("%1 saved. Link at least one store, then test the "
                              "connection.")
                               .arg(name),
                false);
            reload();
            return;
        case 400:
            setMessage(provider,
                       tr("The server did not take the settings: %1").arg(jsonError(reply)), true);
            return;
        case 409: {
            const QString other = provider == QLatin1String("square") ? QStringLiteral("Shopify")
                                                                      : QStringLiteral("Square");
            setMessage(provider,
                       tr("Only one source of stock can be on: turn %1 off first, or save %2 "
                          "turned off.")
                           .arg(other, name),
                       true);
            return;
        }
        default:
            setMessage(provider, describe(status), true);
        }
    });
}

void IntegrationsModel::test(const QString& provider)
{
    if (rowOf(provider) < 0 || !begin(provider)) {
        return;
    }
    QNetworkReply* reply = session()->apiPost(
        QStringLiteral("/v1/admin/integrations/%1/test").arg(provider), QJsonObject());
    if (!sent(provider, reply)) {
        return;
    }
    setMessage(provider, tr("Asking %1…").arg(providers::displayName(provider)), false);
    connect(reply, &QNetworkReply::finished, this, [this, reply, provider] {
        reply->deleteLater();
        finish();
        const QString name = providers::displayName(provider);
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 404) {
            setMessage(provider, tr("Save %1's settings first, then test them.").arg(name), true);
            return;
        }
        if (status != 200) {
            setMessage(provider, describe(status), true);
            return;
        }
        const QJsonObject o = QJsonDocument::fromJson(reply->read(kMaxReplyBytes)).object();
        if (o.value(QStringLiteral("status")).toString() == QLatin1String("ok")) {
            setMessage(provider, tr("%1 answered: the connection works.").arg(name), false);
        } else {
            const QString details =
                o.value(QStringLiteral("message")).toString().left(kMaxErrorChars);
            const QString words = providers::describeFailure(
                provider, o.value(QStringLiteral("error")).toString(), providers::Audience::Admin);
            setMessage(provider, details.isEmpty() ? words : tr("%1 (%2)").arg(words, details),
                       true);
        }
        reload(); // the server recorded the outcome: status and last error
    });
}

void IntegrationsModel::remove(const QString& provider)
{
    if (rowOf(provider) < 0 || !begin(provider)) {
        return;
    }
    QNetworkReply* reply =
        session()->apiDelete(QStringLiteral("/v1/admin/integrations/%1").arg(provider));
    if (!sent(provider, reply)) {
        return;
    }
    connect(reply, &QNetworkReply::finished, this, [this, reply, provider] {
        reply->deleteLater();
        finish();
        const QString name = providers::displayName(provider);
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 200) {
            setMessage(provider,
                       tr("%1 disconnected: its settings, credentials and store links are "
                          "deleted.")
                           .arg(name),
                       false);
        } else if (status == 404) {
            setMessage(provider, tr("%1 was not connected.").arg(name), false);
        } else {
            setMessage(provider, describe(status), true);
            return;
        }
        reload();
    });
}

void IntegrationsModel::setMessage(const QString& provider, const QString& message, bool isError)
{
    if (provider == m_messageProvider && message == m_message && isError == m_messageIsError) {
        return;
    }
    m_messageProvider = provider;
    m_message = message;
    m_messageIsError = isError;
    Q_EMIT messageChanged();
}

} // namespace cc::app
