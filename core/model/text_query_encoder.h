// text_query_encoder.h - FLAVA's text encoder for search queries, int8, without LibTorch.
//
// What every search runs once: token ids -> the text encoder (BERT-style, pre-LayerNorm blocks)
// -> final LayerNorm -> text_projection of the [CLS] state -> unit vector. The linear maps of the
// blocks are Int8Rows (int8 weights per output channel, each token's activations in int16 with
// its own scale, exact integer sums), the same arithmetic as the LibTorch encoder's int8 path;
// embeddings, LayerNorm, attention, the activation and the projection are fp32. A query runs
// unpadded and alone, so it needs no attention mask and its vector never depends on other
// queries.
//
// Why without LibTorch: a search process that runs no image encoder or rerank then never loads
// LibTorch at all (its start-up alone costs ~0.6 s and 160 MB), and a short query is cheaper
// as a dozen plain loops than as ~200 dispatched tensor operations.
//
// The word embeddings are not copied: each query reads its tokens' rows from the weights file.
// The quantized maps (85 MB for flava-full, 0.3 s of a cold start to make) may be kept in a
// derived file, mapped in place the next time: it names the model identity it was made from
// and the Int8Rows format, and anything else about it (missing, stale, truncated, another
// format) means the maps are quantized again and the file rewritten.
// Immutable after construction; embed() may run on several threads at once.
#pragma once

#include "flava_config.h"
#include "flava_layout.h"
#include "int8_rows.h"
#include "tensor_view.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace imago::flava {

class TextQueryEncoder
{
public:
    // Reads flava.text_model.* and flava.text_projection.* through `find` (views that must
    // outlive the encoder: the word embeddings are read from them at every query) and
    // quantizes the blocks' linear maps on `threads` threads. Throws CheckpointError naming
    // `file` for a missing tensor, a wrong shape or a non-float dtype.
    // With `derivedFile` (and the model's `identity`), the quantized maps are read from that
    // file when it holds them for this identity, else made and written there (a failure to
    // write is not an error).
    TextQueryEncoder(const FlavaConfig &config, const TensorLookup &find,
                     const std::filesystem::path &file, int threads = 1,
                     const std::filesystem::path &derivedFile = {},
                     const std::string &identity = {});
    ~TextQueryEncoder();
    TextQueryEncoder(const TextQueryEncoder &) = delete;
    TextQueryEncoder &operator=(const TextQueryEncoder &) = delete;

    // ids: one query with [CLS]/[SEP], unpadded. Returns projectionDim floats of unit length.
    // With `preNorm`, also the last block's output before the final LayerNorm, [L x D] row-major
    // (what ITM takes). Throws std::invalid_argument for an empty, too long or out-of-vocabulary
    // sequence.
    std::vector<float> embed(std::span<const std::int64_t> ids,
                             std::vector<float> *preNorm = nullptr) const;

    int threads() const { return m_threads; }
    // Whether the maps came from the derived file (rather than being quantized).
    bool mapsFromDerivedFile() const { return m_fromDerived; }
    int hiddenSize() const { return m_cfg.text.hiddenSize; }

private:
    struct Layer;
    struct Norm
    {
        std::vector<float> weight, bias;
    };
    void layerNorm(const Norm &norm, const float *x, float *y, std::int64_t rows) const;
    void linear(const Int8Rows &map, const float *x, std::int64_t rows, float *y) const;

    FlavaConfig m_cfg;
    int m_threads = 1;
    bool m_fromDerived = false;
    TensorView m_words;                           // [vocab, D], read a row at a time
    std::vector<float> m_positions, m_tokenType0; // [maxPositions, D], [D]
    Norm m_embeddingNorm, m_finalNorm;
    std::vector<std::unique_ptr<Layer>> m_layers;
    std::vector<float> m_projectionT, m_projectionBias; // [D, E] (transposed), [E]
};

} // namespace imago::flava
