// Helpers shared by the model tests: golden tensors from a safetensors file as at::Tensor, and
// the README's closeness checks with a message naming the tensor and the worst element.
#pragma once

#include "checkpoint.h"
#include "flava_module.h"

#include <ATen/ATen.h>
#include <QString>

#include <map>
#include <string>

namespace imago::test {

// Every tensor of a checkpoint, copied into owned tensors.
inline std::map<std::string, at::Tensor> loadTensors(const std::string &file)
{
    const flava::Checkpoint ck(file);
    std::map<std::string, at::Tensor> out;
    for (const auto &v : ck.tensors()) {
        auto *p = const_cast<std::uint8_t *>(v.data) +
                  v.storageOffset * static_cast<std::int64_t>(flava::dtypeSize(v.dtype));
        out[v.name] = at::from_blob(p, v.shape, v.strides, flava::torchScalarType(v.dtype)).clone();
    }
    return out;
}

// abs(a - b) <= atol + rtol * abs(b) everywhere; returns an empty string or a description.
inline QString closeness(const at::Tensor &actual, const at::Tensor &expected, double atol,
                         double rtol)
{
    if (actual.sizes() != expected.sizes())
        return QStringLiteral("shape %1 != %2")
            .arg(QString::fromStdString(c10::str(actual.sizes())),
                 QString::fromStdString(c10::str(expected.sizes())));
    const auto a = actual.to(at::kDouble), b = expected.to(at::kDouble);
    const auto excess = (a - b).abs() - (atol + rtol * b.abs());
    const double worst = excess.max().item<double>();
    if (worst <= 0)
        return {};
    const auto idx = excess.flatten().argmax().item<int64_t>();
    return QStringLiteral("element %1: %2 vs %3 (max abs diff %4)")
        .arg(idx)
        .arg(a.flatten()[idx].item<double>(), 0, 'g', 9)
        .arg(b.flatten()[idx].item<double>(), 0, 'g', 9)
        .arg((a - b).abs().max().item<double>(), 0, 'g', 3);
}

} // namespace imago::test

#define IMAGO_COMPARE_TENSOR(actual, expected, atol, rtol)                                         \
    do {                                                                                           \
        const QString why_ = imago::test::closeness((actual), (expected), (atol), (rtol));         \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                \
    } while (false)
