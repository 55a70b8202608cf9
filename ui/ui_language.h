// ui_language.h - the UI language: the system locale by default, or the one chosen in the
// settings ("en", "zh_CN"). Installs Imago's compiled translations (embedded under :/i18n)
// and Qt's own (standard dialogs) when the system has them. Switching at run time sends
// QEvent::LanguageChange to every widget, which retranslates itself. GUI thread only.
#pragma once

#include <QList>
#include <QLocale>
#include <QString>

namespace imago {

struct UiLanguage
{
    QString code;        // "en", "zh_CN"
    QString nativeName;  // "English", "简体中文"
};

// Registers the resources compiled into imago_ui (icons); idempotent.
void initResources();
// The languages Imago ships.
QList<UiLanguage> availableLanguages();
// Empty `code`: the system locale. Returns the code in effect.
QString applyLanguage(const QString &code);

} // namespace imago
