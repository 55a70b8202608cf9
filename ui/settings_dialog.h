// settings_dialog.h - the preferences: library and model folders, device and threads, rerank
// depth, confidence cut-off, thumbnail size and language. Edits a copy of AppSettings;
// result() returns it when accepted. GUI thread only.
#pragma once

#include "app_settings.h"

#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;
class QCheckBox;

namespace imago {

class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    SettingsDialog(const AppSettings &settings, const QString &currentDevice,
                   QWidget *parent = nullptr);
    AppSettings result() const;

private:
    AppSettings m_settings;
    QLineEdit *m_library, *m_model;
    QComboBox *m_device, *m_thumbs, *m_language;
    QSpinBox *m_threads, *m_rerank;
    QDoubleSpinBox *m_confidence;
    QCheckBox *m_showConfidence;
};

} // namespace imago
