// search_benchmark.h - what a person waits for when they search, measured through the product's
// own path: SearchEngine over a real Library (SQLite catalog + vector index) holding synthetic
// vectors, with a FLAVA-full-sized model (random weights, no download needed).
//
//   query latency = tokenize + text encoder + index search + filters + catalog rows of the top K
//   rerank latency = the above + ITM of the top R: cold (each candidate decoded and run through
//                    the image encoder) and warm (image states cached, a repeated query)
//
// The query libraries grow 10k -> 100k -> 1M photos in one folder; each size is measured after
// Library::save(), so the index kind is what the product would have (IVF from 1M). Rerank runs
// against real photo files (e.g. the generated 12 MP JPEGs of the indexing benchmark).
// Used by `imago-cli bench`; no test asserts its numbers. Needs ~4 GB of disk and ~6 GB of
// memory at 1M photos (the catalog keeps every vector).
#pragma once

#include <QString>

#include <cstddef>
#include <functional>
#include <map>
#include <vector>

namespace imago {

struct SearchBenchmarkOptions
{
    std::vector<std::size_t> sizes{10'000, 100'000, 1'000'000};
    std::size_t queries = 100; // timed queries per size (after a warm-up)
    int top = 100;             // K, the engine's default
    std::vector<int> rerank{10, 20, 50};
    int coldRuns = 3, warmRuns = 5; // timed reranks per R
    int threads = 0;                // model threads; 0: the idle cores
    QString photoDir;               // real photos for the rerank rows; empty: no rerank rows
    QString workDir;                // where the libraries go; empty: a temporary folder
};

struct SearchBenchmarkRow
{
    QString name;
    double p50Ms = 0, p95Ms = 0;
    QString note;
};

struct SearchBenchmarkReport
{
    double text8Fp32Ms = 0, text8Int8Ms = 0;          // text encoder alone, 8 tokens, p50
    std::map<std::size_t, SearchBenchmarkRow> query;  // by photo count (int8 text, the default)
    std::map<int, double> rerankColdMs, rerankWarmMs; // by R, medians
    std::vector<SearchBenchmarkRow> rows;             // everything, in measuring order
};

SearchBenchmarkReport
benchmarkSearch(const SearchBenchmarkOptions &options,
                const std::function<void(const SearchBenchmarkRow &)> &onRow = {});

} // namespace imago
