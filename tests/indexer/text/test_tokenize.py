from indexer.text.tokenize import tokens, tokens_many


def test_korean_query_yields_lexical_tokens():
    # a whitespace/ASCII tokeniser would give nothing usable here and turn hybrid into dense-only
    toks = tokens("대규모 언어 모델의 추론 능력을 강화학습으로 향상시키는 방법")
    assert {"언어", "모델", "추론", "능력", "강화", "학습", "향상"} <= set(toks)
    assert not any(t.endswith(("의", "을", "으로")) for t in toks)


def test_foreign_tokens_are_lowercased_and_split():
    assert tokens("long context KV cache 압축") == ["long", "context", "kv", "cache", "압축"]
    assert "llm" in tokens("LLM이 생성한 데이터")
    assert "llava" in tokens("Video-LLaVA: Learning United Visual Representation")


def test_stopwords_and_particles_dropped():
    assert tokens("the model of the world") == ["model", "world"]
    assert tokens("모델은 데이터를 학습한다") == ["모델", "데이터", "학습"]


def test_batch_matches_single():
    texts = ["확산 모델 가속", "Speculative decoding for LLMs"]
    assert tokens_many(texts) == [tokens(t) for t in texts]
