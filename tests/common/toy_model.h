// toy_model.h - the trained toy FLAVA of ../shared/flava-toy, opened as the tests run it: on
// the CPU with one thread, so that its numbers are the same on every machine and beside other
// tests running at once.
#pragma once

#include "model_session.h"

#include <QString>

#include <memory>

namespace imago::test {

inline QString toyModelDir()
{
    return QStringLiteral(IMAGO_SHARED_DIR "/flava-toy");
}

// `options` for anything else (e.g. the text encoder's precision).
inline std::shared_ptr<const ModelSession> openToyModel(ModelSessionOptions options = {})
{
    options.model.device = flava::Device::Cpu;
    options.model.threads = 1;
    return ModelSession::open(toyModelDir(), options);
}

} // namespace imago::test
