# The fuzz targets as ordinary programs (tests/fuzz/replay_main.cpp instead of libFuzzer),
# replaying the committed regression inputs in tests/data/fuzz/TARGET/: every crash a fuzzer
# found, and a small feature-covering sample of each target's corpus. Label fast.
foreach(target safetensors torchzip config tokenizer imagedecode)
    add_executable(replay_${target} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${target}.cpp
                                    ${CMAKE_CURRENT_LIST_DIR}/replay_main.cpp)
    set_target_properties(replay_${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    imago_warnings(replay_${target})
    add_test(NAME fuzz_replay_${target}
             COMMAND replay_${target} ${PROJECT_SOURCE_DIR}/tests/data/fuzz/${target})
    set_tests_properties(fuzz_replay_${target} PROPERTIES LABELS fast)
endforeach()
target_link_libraries(replay_safetensors PRIVATE imago_model_readers)
target_link_libraries(replay_torchzip PRIVATE imago_model_readers)
target_link_libraries(replay_config PRIVATE imago_model_readers)
target_link_libraries(replay_tokenizer PRIVATE imago_text)
target_compile_definitions(replay_tokenizer PRIVATE IMAGO_FUZZ_VOCAB="${IMAGO_SHARED_DIR_ABS}/flava-reference/vocab.txt")
target_link_libraries(replay_imagedecode PRIVATE imago_imaging)
