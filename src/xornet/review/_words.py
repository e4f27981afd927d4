"""The review's words: each finding's text and fix, in English and Korean.

A finding is made from a code and its values (:func:`say`, :func:`fix_for`); a value that is
itself a ``{"en": ..., "ko": ...}`` pair is put in the sentence of its language. The words of
each known mistake are in its catalogue entry instead.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["LANGS", "fix_for", "say"]

LANGS: Final = ("en", "ko")

# What each of the post's functions returns.
_RETURNS: Final = {
    "affine": ("an array of shape (n_out, n_samples)", "(출력 수, 샘플 수) 모양의 배열"),
    "sigmoid": ("an array of z's shape", "z와 같은 모양의 배열"),
    "binary_cross_entropy": ("a number", "숫자 하나"),
    "forward_loss": ("Z1, H, Z2, YHat, loss", "Z1, H, Z2, YHat, loss"),
    "get_gradients": ("[dLdW1, dLdB1, dLdW2, dLdB2], loss", "[dLdW1, dLdB1, dLdW2, dLdB2], loss"),
    "optimize": ("params, loss_trace, Y_hat_predict", "params, loss_trace, Y_hat_predict"),
}

_STABLE_SIGMOID: Final = "e = np.exp(-np.abs(z)); np.where(z >= 0, 1 / (1 + e), e / (1 + e))"

# code -> (English, Korean)
_TEXT: Final[dict[str, tuple[str, str]]] = {
    "missing": ("There is no function named {name}{close}.", "{name} 함수가 없다{close}."),
    "signature": ("{theirs} cannot be called the way the post calls it, {name}{post}.",
                  "{theirs}은(는) 글이 부르는 방식({name}{post})으로 부를 수 없다."),
    "default": ("The default of {name} is {theirs}; the post's is {post}.",
                "{name}의 기본값이 {theirs}이다; 글의 기본값은 {post}이다."),
    "exits": ("{name} called sys.exit({code_}) on {case}{at}: a function should return or "
              "raise, never end the program.",
              "{name}이(가) {case}에서 sys.exit({code_})를 불렀다{at}: 함수는 값을 돌려주거나 "
              "예외를 던져야 하며, 프로그램을 끝내면 안 된다."),
    "raises": ("{name} raised {error} on {case}{at}.",
               "{name}이(가) {case}에서 {error}을(를) 던졌다{at}."),
    "value_raises": ("{name}, or what it returned, raised {error} while the review read it{at}: "
                     "return NumPy arrays and numbers, as the post does.",
                     "{name} 또는 그것이 돌려준 값이 리뷰가 읽는 동안 {error}을(를) 던졌다{at}: "
                     "글처럼 NumPy 배열과 숫자를 돌려주어라."),
    "returns": ("{name} returned {got}; the post's {name} returns {post}.",
                "{name}이(가) {got}을(를) 돌려주었다; 글의 {name}은(는) {post}을(를) 돌려준다."),
    "mistake": ("Known mistake: {what} (your numbers equal this mistake's on {case} and on "
                "the other inputs tried).",
                "알려진 실수: {what} ({case}와 다른 입력 모두에서 결과가 이 실수의 결과와 정확히 "
                "같다)."),
    "only_post": ("Right on the post's data, but not on {case} ({name}: {how}). Does the code "
                  "use the global X and Y, or fixed sizes such as 2 or 4, instead of its "
                  "arguments?",
                  "글의 데이터에서는 맞지만 {case}에서는 틀리다 ({name}: {how}). 인자 대신 전역 "
                  "X, Y나 2, 4 같은 고정된 크기를 쓰고 있지 않은가?"),
    "wrong": ("{name} is wrong on {case}: {how}.", "{case}에서 {name}이(가) 틀렸다: {how}."),
    "order": ("{name} returns the right values in another order ({theirs}); the post returns "
              "{post}.",
              "{name}이(가) 맞는 값을 다른 순서({theirs})로 돌려준다; 글은 {post} 순서로 "
              "돌려준다."),
    "timeout": ("{name} did not finish within its time limit: does a loop never end (a while "
                "loop whose condition stays true)?",
                "{name}이(가) 제한 시간 안에 끝나지 않았다: 끝나지 않는 반복문(조건이 계속 참인 "
                "while 문)이 있지 않은가?"),
    "memory": ("{name} ran out of memory (the review's limit): does something grow at every "
               "step, or is an array far larger than the data?",
               "{name}이(가) 메모리 한도를 넘었다: 매 단계 커지는 것이 있거나, 데이터보다 훨씬 큰 "
               "배열을 만들지 않는가?"),
    "crashed": ("The process running the code died ({how}) while checking {name}; the checks "
                "after it did not run.",
                "{name}을(를) 검사하는 중에 코드를 실행하던 프로세스가 죽었다 ({how}); 그 뒤의 "
                "검사는 실행되지 않았다."),
    "exited": ("The code ended the process (exit code {code_}) while checking {name}; the checks "
               "after it did not run.",
               "{name}을(를) 검사하는 중에 코드가 프로세스를 끝냈다 (종료 코드 {code_}); 그 뒤의 "
               "검사는 실행되지 않았다."),
    "load.syntax": ("The file does not parse: {msg} at {where}: {text}",
                    "파일을 읽을 수 없다: {where}에서 {msg}: {text}"),
    "load.error": ("A top-level statement raised {error} ({where}); the definitions after it "
                   "were still loaded.",
                   "최상위 문장이 {error}을(를) 던졌다 ({where}); 그 뒤의 정의는 그대로 불러왔다."),
    "load.exit": ("A top-level statement called {error} ({where}); the definitions after it "
                  "were still loaded.",
                  "최상위 문장이 {error}을(를) 불렀다 ({where}); 그 뒤의 정의는 그대로 불러왔다."),
    "load.module": ("{error} ({where}): the review's Python does not have this module; the "
                    "review went on without it.",
                    "{error} ({where}): 리뷰 환경에 이 모듈이 없어서 이 문장 없이 진행했다."),
    "load.skipped": ("Skipped {count} top-level statement(s) that run code rather than define "
                     "it ({lines}): the review calls your functions itself.",
                     "정의가 아니라 코드를 실행하는 최상위 문장 {count}개를 건너뛰었다 ({lines}): "
                     "리뷰가 함수를 직접 부른다."),
    "load.magic": ("Skipped shell and magic lines: {lines}.",
                   "셸 명령과 매직 줄을 건너뛰었다: {lines}."),
    "init.shapes": ("init_parameters({h}) returned shapes {got}; the post's W1, B1, W2, B2 are "
                    "{expected}.",
                    "init_parameters({h})가 돌려준 모양은 {got}이다; 글의 W1, B1, W2, B2는 "
                    "{expected}이다."),
    "init.nonfinite": ("init_parameters({h}) returned values that are not finite.",
                       "init_parameters({h})가 유한하지 않은 값을 돌려주었다."),
    "init.symmetric": ("Every hidden unit starts with the same weights: they get the same "
                       "gradients and stay alike, so the network cannot learn XOR.",
                       "모든 은닉 유닛이 같은 가중치로 시작한다: 같은 기울기를 받아 계속 같은 "
                       "채로 남으므로 XOR을 배울 수 없다."),
    "init.post": ("init_parameters draws the post's weights: after np.random.seed({seed}) it "
                  "returns the post's start.",
                  "init_parameters가 글과 같은 가중치를 뽑는다: np.random.seed({seed}) 뒤에 "
                  "글의 시작점을 돌려준다."),
    "init.other": ("init_parameters draws other weights than the post's np.random.randn(2, h) "
                   "then np.random.randn(h, 1). That is allowed, but your runs will not "
                   "reproduce the post's numbers; the review starts optimize from the post's "
                   "weights itself.",
                   "init_parameters가 글의 np.random.randn(2, h), np.random.randn(h, 1)과 다른 "
                   "가중치를 뽑는다. 괜찮지만 글의 숫자는 재현되지 않는다; 리뷰는 optimize를 "
                   "글의 가중치에서 직접 시작한다."),
    "sigmoid.overflow": ("1 / (1 + np.exp(-z)) overflows for z below about -709: np.exp(-z) is "
                         "inf and NumPy warns (the value, 0, is still right).",
                         "z가 약 -709보다 작으면 1 / (1 + np.exp(-z))가 오버플로한다: "
                         "np.exp(-z)가 inf가 되어 NumPy가 경고한다 (값 0은 그래도 맞다)."),
    "sigmoid.extremes": ("sigmoid gives wrong values (or nan) for large |z|.",
                         "|z|가 클 때 sigmoid가 틀린 값(또는 nan)을 낸다."),
    "bce.log0": ("With outputs of exactly 0 and 1 (every sample right, with certainty) the "
                 "loss is {got}, not 0: 0 * np.log(0) is nan.",
                 "출력이 정확히 0과 1일 때 (모든 샘플을 확신하며 맞힐 때) 손실이 0이 아니라 "
                 "{got}이다: 0 * np.log(0)은 nan이다."),
    "forward.follows": ("{name} is wrong because your {fn} is (see {fn} above); forward_loss "
                        "itself may be right.",
                        "{name}이(가) 틀린 것은 {fn}이(가) 틀렸기 때문이다 (위의 {fn} 참고); "
                        "forward_loss 자체는 맞을 수 있다."),
    "gradients.loss": ("The gradients are right but the returned loss is not (on {case}).",
                       "기울기는 맞지만 돌려준 손실이 틀리다 ({case})."),
    "gradients.located": ("Wrong: {hows}. The first step of get_gradients that can be wrong is "
                          "{steps}: the arrays it feeds are wrong, the ones before it right.",
                          "틀린 것: {hows}. 처음 틀릴 수 있는 get_gradients의 단계는 {steps}이다: "
                          "이 단계에 달린 배열은 틀리고 그 앞의 배열은 맞다."),
    "gradients.consistent": ("Your gradients are the derivatives of your own forward_loss "
                             "(central differences agree): the backward pass is consistent, "
                             "and the forward pass is what differs from the post's (see "
                             "forward_loss).",
                             "기울기가 자신의 forward_loss의 미분과 일치한다 (중앙 차분으로 "
                             "확인): 역전파는 일관되고, 글과 다른 것은 순전파다 (forward_loss "
                             "참고)."),
    "gradients.not_derivative": ("{arrays}: not the derivatives of your own forward_loss "
                                 "either (central differences disagree), so the mistake is in "
                                 "get_gradients.",
                                 "{arrays}: 자신의 forward_loss의 미분과도 다르다 (중앙 차분과 "
                                 "불일치). 실수는 get_gradients에 있다."),
    "gradients.comment": ("{where}: the comment \"{comment}\" names the other layer's bias, "
                          "but the line computes {name}. The post's own step 7 has the same "
                          "slip: its comment says dB2 above dLdB1.",
                          "{where}: 주석 \"{comment}\"는 다른 층의 바이어스를 가리키지만 이 줄은 "
                          "{name}을(를) 계산한다. 글의 7단계 주석도 같은 실수로 dLdB1 위에 dB2라고 "
                          "적었다."),
    "optimize.modifies_input": ("optimize changed the parameters it was given: it trains the "
                                "caller's arrays in place.",
                                "optimize가 받은 파라미터를 바꿨다: 호출한 쪽의 배열을 그대로 "
                                "학습시킨다."),
    "optimize.learner_gradients": ("Your get_gradients is wrong, so optimize is compared with "
                                   "the post's loop around your own get_gradients.",
                                   "get_gradients가 틀렸으므로 optimize는 자신의 get_gradients를 "
                                   "쓰는 글의 반복문과 비교했다."),
    "optimize.trace_spacing": ("loss_trace holds {count} values for iteration={n}: the loss "
                               "every {every} step(s) from step {first}. The post records the "
                               "loss before the update of steps 0, 100, 200, ... "
                               "(epoch % 100 == 0).",
                               "iteration={n}일 때 loss_trace에 값이 {count}개 있다: {first}번째 "
                               "단계부터 {every}단계마다의 손실이다. 글은 0, 100, 200, ... 번째 "
                               "단계의 업데이트 전 손실을 기록한다 (epoch % 100 == 0)."),
    "optimize.trace": ("loss_trace is wrong: {how}.", "loss_trace가 틀렸다: {how}."),
    "optimize.trajectory": ("After {n:,} steps at learning_rate=0.01 from the post's start the "
                            "parameters differ from the reference's: {how}.",
                            "글의 시작점에서 learning_rate=0.01로 {n:,}단계 학습한 뒤 파라미터가 "
                            "기준과 다르다: {how}."),
    "optimize.speed": ("{n:,} steps took {ms:.0f} ms, {ratio:.1f} times the reference's time.",
                       "{n:,}단계에 {ms:.0f} ms 걸렸다. 기준의 {ratio:.1f}배다."),
    "optimize.slow": ("{n:,} steps took {ms:.0f} ms, {ratio:.1f} times the reference's time.",
                      "{n:,}단계에 {ms:.0f} ms 걸렸다. 기준의 {ratio:.1f}배다."),
    "full.differs": ("The post's whole run (np.random.seed(3), learning_rate=0.01, 200,000 "
                     "steps) ends elsewhere than the reference's ({name}: {how}).",
                     "글의 전체 학습 (np.random.seed(3), learning_rate=0.01, 200,000단계)이 "
                     "기준과 다른 곳에서 끝난다 ({name}: {how})."),
    "full.same": ("The post's whole run ends where the reference's does: the last loss of its "
                  "trace (step 199,900, before that step's update) {loss:.6f}, in "
                  "{seconds:.1f} s.",
                  "글의 전체 학습이 기준과 같은 곳에서 끝난다: 손실 기록의 마지막 값 (199,900번째 "
                  "단계, 그 단계의 업데이트 전) {loss:.6f}, {seconds:.1f}초."),
}  # fmt: skip

_FIX: Final[dict[str, tuple[str, str]]] = {
    "missing": ("Define {name} with the post's name and arguments.",
                "글의 이름과 인자로 {name}을(를) 정의한다."),
    "signature": ("Take the post's arguments: {name}{post}.", "글의 인자를 받는다: {name}{post}."),
    "exits": ("Raise an exception (or return) instead of calling sys.exit.",
              "sys.exit 대신 예외를 던지거나 값을 돌려준다."),
    "mistake": ("{fix_}", "{fix_}"),
    "load.syntax": ("Fix the syntax error; nothing else could be checked.",
                    "문법 오류를 고친다; 다른 것은 검사하지 못했다."),
    "init.symmetric": ("Draw the weights at random: np.random.randn(2, num_hidden_units) and "
                       "np.random.randn(num_hidden_units, 1).",
                       "가중치를 무작위로 뽑는다: np.random.randn(2, num_hidden_units), "
                       "np.random.randn(num_hidden_units, 1)."),
    "sigmoid.overflow": (f"A form that never overflows: {_STABLE_SIGMOID} (or "
                         "scipy.special.expit).",
                         f"오버플로하지 않는 형태: {_STABLE_SIGMOID} (또는 scipy.special.expit)."),
    "sigmoid.extremes": (f"A form that never overflows: {_STABLE_SIGMOID}.",
                         f"오버플로하지 않는 형태: {_STABLE_SIGMOID}."),
    "bce.log0": ("Compute the loss from the logit Z2, finite for every Z2: "
                 "np.mean(np.logaddexp(0, Z2) - Y * Z2); or clip the probabilities: "
                 "YHat = np.clip(YHat, 1e-12, 1 - 1e-12).",
                 "로짓 Z2로 손실을 계산하면 항상 유한하다: np.mean(np.logaddexp(0, Z2) - Y * Z2); "
                 "또는 확률을 자른다: YHat = np.clip(YHat, 1e-12, 1 - 1e-12)."),
    "optimize.modifies_input": ("Copy first, as the post does: "
                                "params = [np.copy(param) for param in _params].",
                                "글처럼 먼저 복사한다: "
                                "params = [np.copy(param) for param in _params]."),
    "optimize.trace_spacing": ("if epoch % 100 == 0: loss_trace.append(loss), with the loss "
                               "get_gradients returned before the update.",
                               "업데이트 전에 get_gradients가 돌려준 손실로 "
                               "if epoch % 100 == 0: loss_trace.append(loss)."),
    "optimize.slow": ("One np.dot per layer over all samples at each step; no Python loop "
                       "over the samples or the units.",
                       "매 단계 모든 샘플에 대해 층마다 np.dot 한 번; 샘플이나 유닛에 대한 "
                       "파이썬 반복문은 쓰지 않는다."),
    "timeout": ("Make sure every loop ends; optimize runs exactly iteration steps.",
                "모든 반복문이 끝나는지 확인한다; optimize는 정확히 iteration번 반복한다."),
}  # fmt: skip


def _values(args: dict[str, Any], lang: str) -> dict[str, Any]:
    values = {k: v[lang] if isinstance(v, dict) and lang in v else v for k, v in args.items()}
    if "name" in values and values["name"] in _RETURNS:
        values.setdefault("post", _RETURNS[values["name"]][LANGS.index(lang)])
    return values


def say(code: str, **args: Any) -> dict[str, str]:
    """The finding ``code``'s text with ``args``, in each language."""
    return {lang: _TEXT[code][i].format(**_values(args, lang)) for i, lang in enumerate(LANGS)}


def fix_for(code: str, **args: Any) -> dict[str, str]:
    """The finding ``code``'s fix with ``args`` in each language (empty when it has none)."""
    if code not in _FIX:
        return {}
    return {lang: _FIX[code][i].format(**_values(args, lang)) for i, lang in enumerate(LANGS)}
