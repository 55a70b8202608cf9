#include "safetensors_reader.h"

#include "checkpoint_error.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

namespace imago::flava {

namespace {

// The real flava-full header is ~30 KB; 100 MB leaves room for any honest file while refusing
// a "giant header length" before any allocation.
constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

std::uint64_t readLe64(const std::uint8_t *p)
{
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

} // namespace

SafetensorsContents parseSafetensors(std::span<const std::uint8_t> bytes,
                                     const std::filesystem::path &file)
{
    auto fail = [&](const std::string &what) -> void { throw CheckpointError(file, what); };
    if (bytes.size() < 8)
        fail("not a safetensors file: " + std::to_string(bytes.size()) +
             " bytes, shorter than the 8-byte header length");
    const std::uint64_t headerLen = readLe64(bytes.data());
    if (headerLen > kMaxHeaderBytes)
        fail("safetensors header length " + std::to_string(headerLen) +
             " bytes is implausibly large (limit " + std::to_string(kMaxHeaderBytes) + ")");
    if (headerLen > bytes.size() - 8)
        fail("truncated: header says " + std::to_string(headerLen) + " bytes but the file has " +
             std::to_string(bytes.size() - 8) + " after the length");

    const char *headerBegin = reinterpret_cast<const char *>(bytes.data() + 8);
    nlohmann::json header = nlohmann::json::parse(headerBegin, headerBegin + headerLen, nullptr,
                                                  /*allow_exceptions=*/false);
    if (header.is_discarded() || !header.is_object())
        fail("safetensors header is not a JSON object");

    const std::uint8_t *data = bytes.data() + 8 + headerLen;
    const std::uint64_t dataSize = bytes.size() - 8 - headerLen;

    SafetensorsContents out;
    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string &name = it.key();
        const nlohmann::json &entry = it.value();
        if (name == "__metadata__") {
            if (entry.is_object())
                for (auto m = entry.begin(); m != entry.end(); ++m)
                    if (m.value().is_string())
                        out.metadata[m.key()] = m.value().get<std::string>();
            continue;
        }
        auto bad = [&](const std::string &what) { fail("tensor '" + name + "': " + what); };
        if (!entry.is_object())
            bad("entry is not a JSON object");
        const auto dt = entry.find("dtype");
        const auto shape = entry.find("shape");
        const auto offsets = entry.find("data_offsets");
        if (dt == entry.end() || !dt->is_string())
            bad("missing dtype");
        if (shape == entry.end() || !shape->is_array())
            bad("missing shape");
        if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
            !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
            bad("data_offsets must be two non-negative integers");
        const auto dtype = dtypeFromSafetensors(dt->get<std::string>());
        if (!dtype)
            bad("unsupported dtype " + dt->get<std::string>());

        TensorView view;
        view.name = name;
        view.dtype = *dtype;
        // numel * itemsize must not overflow; bound every product by the data section size.
        std::uint64_t count = 1;
        bool overflow = false;
        for (const auto &d : *shape) {
            if (!d.is_number_unsigned())
                bad("shape has a negative or non-integer dimension");
            const std::uint64_t v = d.get<std::uint64_t>();
            if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                overflow = true;
            else if (v != 0 && count > std::numeric_limits<std::uint64_t>::max() / v)
                overflow = true;
            else
                count *= v;
            view.shape.push_back(static_cast<std::int64_t>(std::min<std::uint64_t>(
                v, std::numeric_limits<std::int64_t>::max())));
        }
        const std::uint64_t item = dtypeSize(*dtype);
        if (overflow || count > std::numeric_limits<std::uint64_t>::max() / item)
            bad("shape is too large");
        const std::uint64_t begin = (*offsets)[0].get<std::uint64_t>();
        const std::uint64_t end = (*offsets)[1].get<std::uint64_t>();
        if (begin > end || end > dataSize)
            bad("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                ") lie outside the " + std::to_string(dataSize) + "-byte data section");
        if (end - begin != count * item)
            bad("holds " + std::to_string(end - begin) + " bytes but its shape and dtype need " +
                std::to_string(count * item));
        view.strides.assign(view.shape.size(), 1);
        for (int i = static_cast<int>(view.shape.size()) - 2; i >= 0; --i)
            view.strides[i] = view.strides[i + 1] * view.shape[i + 1];
        view.data = data + begin;
        view.storageBytes = end - begin;
        out.tensors.push_back(std::move(view));
    }

    std::sort(out.tensors.begin(), out.tensors.end(),
              [](const TensorView &a, const TensorView &b) { return a.data < b.data; });
    for (std::size_t i = 1; i < out.tensors.size(); ++i) {
        const TensorView &prev = out.tensors[i - 1];
        if (prev.data + prev.storageBytes > out.tensors[i].data)
            fail("tensors '" + prev.name + "' and '" + out.tensors[i].name + "' overlap");
    }
    return out;
}

} // namespace imago::flava
