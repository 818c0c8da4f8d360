import os
import re

import nbformat
import numpy as np
import pytest

import vidgen_tf.data
import vidgen_tf.data.physics
from tests.conftest import REPO
from vidgen_tf.course import EXERCISES, check_exercise
from vidgen_tf.course.checks import resolve
from vidgen_tf.course.grade import check_cells
from vidgen_tf.course.release import lesson_files
from vidgen_tf.data import bounce_step
from vidgen_tf.losses import gaussian_kl
from vidgen_tf.metrics import frame_differences

NOTEBOOKS = os.path.join(REPO, "notebooks")
TRIPPED = "the reference it is compared with: write it yourself"


def _reader_answers():
    """``{exercise_id: answer}``: the solution cells of the reader's edition (notebooks/),
    run in a namespace of their own (numpy as ``np``, tensorflow as ``tf``)."""
    import tensorflow as tf

    answers = {}
    for name in lesson_files(NOTEBOOKS):
        notebook = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
        namespace = {"np": np, "tf": tf}
        for cell in notebook.cells:
            if cell.cell_type == "code" and "# BEGIN SOLUTION" in cell.source:
                exec(cell.source, namespace)
        for exercise_id, cell in check_cells(notebook).items():
            function = re.search(r"check_exercise\(\s*['\"][^'\"]+['\"],\s*(\w+)", cell.source)
            answers[exercise_id] = namespace[function.group(1)]
    return answers


READER = _reader_answers()


def _honest_bounce(position, velocity, low, high):
    """The reader's edition's bounce_step (exercise 0.1), written out."""
    return READER["0.1"](position, velocity, low, high)


@pytest.mark.parametrize("exercise_id", sorted(READER))
def test_reader_answers_pass_with_one_deterministic_line(exercise_id, capsys):
    check_exercise(exercise_id, READER[exercise_id])
    first = capsys.readouterr().out
    check_exercise(exercise_id, READER[exercise_id])          # fresh random inputs
    assert capsys.readouterr().out == first
    assert first.startswith(f"Exercise {exercise_id} passed: ") and first.count("\n") == 1


def test_every_registered_exercise_has_a_reader_answer_and_a_reference():
    check_exercise("0.1", READER["0.1"])                     # imports the registry
    assert set(READER) == set(EXERCISES)
    for ex in EXERCISES.values():
        assert ex.reimplements and all(callable(resolve(name)) for name in ex.reimplements)


@pytest.mark.parametrize("exercise_id", sorted(READER))
def test_the_reference_itself_is_refused(exercise_id):
    name = EXERCISES[exercise_id].reimplements[0]
    with pytest.raises(AssertionError, match=rf"Exercise {exercise_id} failed: your answer is "
                                             rf"{re.escape(name)}, {TRIPPED}\.$"):
        check_exercise(exercise_id, resolve(name))


@pytest.mark.parametrize("exercise_id", sorted(READER))
def test_an_answer_that_calls_the_reference_fails(exercise_id):
    name = EXERCISES[exercise_id].reimplements[0]
    reference = resolve(name)

    def wraps(*args, **kwargs):
        return reference(*args, **kwargs)

    with pytest.raises(AssertionError, match=rf"Exercise {exercise_id} failed: your answer "
                                             rf"calls {re.escape(name)}, {TRIPPED}\.$"):
        check_exercise(exercise_id, wraps)
    assert reference is resolve(name) and reference.__code__.co_name == name.rsplit(".")[-1]


def test_an_answer_that_imports_the_reference_fails_through_every_name():
    from vidgen_tf.data.physics import bounce_step as imported      # the defining module

    message = f"your answer calls vidgen_tf.data.bounce_step, {TRIPPED}"
    for answer in (lambda p, v, low, high: bounce_step(p, v, low, high),   # imported above
                   lambda p, v, low, high: imported(p, v, low, high),
                   lambda p, v, low, high: vidgen_tf.data.bounce_step(p, v, low, high),
                   lambda p, v, low, high: vidgen_tf.data.physics.bounce_step(p, v, low, high)):
        with pytest.raises(AssertionError, match=message):
            check_exercise("0.1", answer)
    with pytest.raises(AssertionError, match="your answer calls vidgen_tf.metrics.frame_diff"):
        check_exercise("0.2", lambda video: frame_differences(video).copy())


def test_the_reference_is_restored_after_any_check():
    code = bounce_step.__code__

    def crashes_after_trying(position, velocity, low, high):
        try:
            bounce_step(position, velocity, low, high)
        except Exception:
            pass
        raise ValueError("my own bug")

    with pytest.raises(AssertionError):
        check_exercise("0.1", lambda p, v, low, high: bounce_step(p, v, low, high))
    with pytest.raises(ValueError, match="my own bug"):
        check_exercise("0.1", crashes_after_trying)
    assert bounce_step.__code__ is code
    assert vidgen_tf.data.bounce_step is vidgen_tf.data.physics.bounce_step is bounce_step
    position, velocity = bounce_step(np.array([4.5]), np.array([1.0]), 0.0, 5.0)
    assert position[0] == pytest.approx(4.5) and velocity[0] == -1.0


def test_other_package_functions_stay_usable_in_an_answer():
    def elbo_with_the_package_kl(x, x_hat, mean, log_var, beta, sigma):
        n = np.prod(np.shape(x)[1:])
        log_likelihood = (-np.sum((x - x_hat) ** 2, axis=(1, 2, 3, 4)) / (2 * sigma**2)
                          - n * np.log(sigma) - 0.5 * n * np.log(2 * np.pi))
        return log_likelihood - beta * np.asarray(gaussian_kl(mean, log_var))

    check_exercise("1.3", elbo_with_the_package_kl)        # gaussian_kl is 1.2's reference


def test_a_bounce_without_velocity_flip_is_caught():
    def forgets_velocity(position, velocity, low, high):
        new_position, _ = _honest_bounce(position, velocity, low, high)
        return new_position, velocity

    with pytest.raises(AssertionError, match=r"Exercise 0.1 failed: new_velocity differs at"):
        check_exercise("0.1", forgets_velocity)


def test_a_bounce_that_clamps_instead_of_mirroring_is_caught():
    def clamps(position, velocity, low, high):
        new = position + velocity
        hit = (new < low) | (new > high)
        return np.clip(new, low, high), np.where(hit, -velocity, velocity)

    with pytest.raises(AssertionError, match="new_position differs"):
        check_exercise("0.1", clamps)


def test_changing_the_given_arrays_is_caught():
    def in_place(position, velocity, low, high):
        new_position, new_velocity = _honest_bounce(position, velocity, low, high)
        position[...] = new_position
        return new_position, new_velocity

    with pytest.raises(AssertionError, match="changed the arrays it was given"):
        check_exercise("0.1", in_place)


def test_wrong_shapes_and_types_are_explained():
    with pytest.raises(AssertionError, match=r"motion_map\(video\) has shape"):
        check_exercise("0.2", lambda video: np.abs(np.diff(video, axis=0)))   # keeps channels
    with pytest.raises(AssertionError, match="must return a pair"):
        check_exercise("0.1", lambda p, v, low, high: p)


def test_psnr_with_the_wrong_peak_is_caught():
    def peak_one(frame, reference):
        return 10 * np.log10(1.0 / np.mean((frame - reference) ** 2))

    with pytest.raises(AssertionError, match="psnr_from_definition differs"):
        check_exercise("0.3", peak_one)


def test_frechet_with_biased_covariances_is_caught():
    def biased(a, b):
        from vidgen_tf.metrics import frechet_distance
        return frechet_distance(a.mean(0), np.cov(a.T, bias=True), b.mean(0),
                                np.cov(b.T, bias=True))

    with pytest.raises(AssertionError, match="Exercise 8.1 failed: frechet_from_features"):
        check_exercise("8.1", biased)


def test_consistency_that_counts_no_digit_as_a_digit_is_caught():
    def counts_noise(labels, agreement):
        share = np.array([np.bincount(row).max() / len(row) for row in labels])
        return float(np.mean(share >= agreement))

    with pytest.raises(AssertionError, match="consistent_share differs"):
        check_exercise("8.2", counts_noise)


def test_manhattan_steps_are_caught():
    with pytest.raises(AssertionError, match="mean_step differs"):
        check_exercise("8.3", lambda c: np.abs(np.diff(c, axis=1)).sum(-1).mean())


def test_unfinished_and_unknown_exercises():
    def stub(*args):
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not done yet.*NotImplementedError"):
        check_exercise("0.2", stub)
    with pytest.raises(KeyError, match=r"Unknown exercise '9.9'; choose one of 0.1, 0.2"):
        check_exercise("9.9", stub)
    with pytest.raises(AssertionError, match="expected your function"):
        check_exercise("0.1", 42)


def test_a_kl_summed_over_the_batch_is_caught():
    with pytest.raises(AssertionError, match="shape"):
        check_exercise("1.2", lambda m, lv: np.sum(0.5 * (np.exp(lv) + m**2 - 1 - lv)))


def test_an_elbo_without_the_normalising_constant_is_caught():
    def no_constant(x, x_hat, mean, log_var, beta, sigma):
        squared = np.sum((x - x_hat) ** 2, axis=(1, 2, 3, 4)) / (2 * sigma**2)
        return -squared - beta * np.asarray(gaussian_kl(mean, log_var))

    with pytest.raises(AssertionError, match="elbo_per_clip differs"):
        check_exercise("1.3", no_constant)


def test_a_loop_that_repeats_its_first_code_is_caught():
    def closed(center, u, v, radius, steps):
        theta = np.linspace(0, 2 * np.pi, steps).reshape((-1,) + (1,) * np.ndim(center))
        return center + radius * (np.cos(theta) * u + np.sin(theta) * v)

    with pytest.raises(AssertionError, match="latent_circle differs"):
        check_exercise("1.4", closed)


def test_an_aggregate_covariance_with_the_biased_spread_is_caught():
    def biased(means, variances):
        return means.mean(0), np.cov(means.T, bias=True) + np.diag(variances.mean(0))

    with pytest.raises(AssertionError, match="aggregate_moments' C"):
        check_exercise("1.6", biased)


def test_an_aggregate_covariance_without_the_posterior_variances_is_caught():
    # the spread of the means alone: the prior of a plain autoencoder's codes
    with pytest.raises(AssertionError, match="aggregate_moments' C"):
        check_exercise("1.6", lambda means, variances: (means.mean(0), np.cov(means.T)))


def test_an_aggregate_answer_that_is_not_a_pair_is_explained():
    with pytest.raises(AssertionError, match=r"must return a pair \(m, C\), got ndarray"):
        check_exercise("1.6", lambda means, variances: means.mean(0))


def test_a_squared_norm_gradient_penalty_is_caught():
    import tensorflow as tf

    def squared_norm(critic, real, fake, mix):
        mixed = tf.constant(mix.reshape(-1, 1, 1, 1, 1) * real
                            + (1 - mix.reshape(-1, 1, 1, 1, 1)) * fake)
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            total = tf.reduce_sum(critic(mixed))
        grads = tf.reshape(tape.gradient(total, mixed), (len(real), -1))
        return tf.reduce_mean((tf.reduce_sum(grads**2, axis=1) - 1) ** 2)

    with pytest.raises(AssertionError, match="wgan_gradient_penalty differs"):
        check_exercise("2.3", squared_norm)



def test_a_gru_with_the_reset_gate_before_the_recurrent_product_is_caught():
    """``reset_after=False`` (the original GRU): r * h goes into the recurrent product; Keras'
    default (and MoCoGAN's) applies r after it. Every other detail is the reader's."""
    def reset_before(h0, eps, kernel, recurrent_kernel, bias):
        d = h0.shape[1]
        sigmoid = lambda a: 1.0 / (1.0 + np.exp(-a))         # noqa: E731
        h, states = h0.astype(np.float64), []
        for t in range(eps.shape[1]):
            x = eps[:, t] @ kernel + bias[0]
            r_in = h @ recurrent_kernel + bias[1]
            update = sigmoid(x[:, :d] + r_in[:, :d])
            reset = sigmoid(x[:, d:2 * d] + r_in[:, d:2 * d])
            candidate = np.tanh(x[:, 2 * d:] + (reset * h) @ recurrent_kernel[:, 2 * d:]
                                + bias[1, 2 * d:])
            h = update * h + (1.0 - update) * candidate
            states.append(h)
        return np.stack(states, axis=1)

    with pytest.raises(AssertionError, match="motion_codes differs"):
        check_exercise("3.1", reset_before)
    # returning h_0 .. h_{T-1} instead of h_1 .. h_T
    shifted = lambda h0, eps, *w: np.concatenate(                   # noqa: E731
        [h0[:, None], READER["3.1"](h0, eps, *w)[:, :-1]], axis=1)
    with pytest.raises(AssertionError, match="motion_codes differs"):
        check_exercise("3.1", shifted)


def test_path_correlations_of_positions_or_that_divide_by_zero_are_caught():
    def uncentred(centres):                    # positions, not offsets: where counts
        v = np.asarray(centres, np.float64).reshape(len(centres), -1)
        u = v / np.linalg.norm(v, axis=1, keepdims=True)
        return float((u @ u.T)[np.triu_indices(len(v), 1)].mean())

    with pytest.raises(AssertionError, match="path_correlation differs"):
        check_exercise("3.2", uncentred)

    def nan_for_still_clips(centres):          # a still clip's cosine left undefined
        c = np.asarray(centres, np.float64)
        v = (c - c.mean(axis=1, keepdims=True)).reshape(len(c), -1)
        with np.errstate(invalid="ignore", divide="ignore"):
            u = v / np.linalg.norm(v, axis=1, keepdims=True)
        return float((u @ u.T)[np.triu_indices(len(v), 1)].mean())

    with pytest.raises(AssertionError, match="path_correlation differs"):
        check_exercise("3.2", nan_for_still_clips)


def test_an_image_critic_batch_out_of_order_with_its_labels_is_caught():
    def tiled_labels(videos, index, labels):       # labels 0, 1, .., 0, 1, ..: frames' order
        frames = videos[:, index].reshape((-1,) + videos.shape[2:])
        return frames, np.tile(labels, (len(index), 1))

    def frame_major(videos, index, labels):         # frame 0 of every clip first
        frames = np.swapaxes(videos[:, index], 0, 1).reshape((-1,) + videos.shape[2:])
        return frames, np.repeat(labels, len(index), axis=0)

    for answer, part in ((tiled_labels, "frame_labels"), (frame_major, "frames")):
        with pytest.raises(AssertionError, match=f"image_critic_batch's {part} differs"):
            check_exercise("3.3", answer)


def test_a_convlstm_step_with_the_gates_in_another_order_is_caught():
    """PyTorch-style code often orders the gates (input, forget, output, candidate); Keras'
    order, which the cell's weights follow, is (input, forget, candidate, output)."""
    right = READER["4.2"]

    def gates_ifog(x, h, c, kernel, bias):
        f = h.shape[-1]
        order = np.r_[0:2 * f, 3 * f:4 * f, 2 * f:3 * f]         # swap candidate and output
        return right(x, h, c, kernel[..., order], bias[order])

    with pytest.raises(AssertionError, match="convlstm_step's h differs"):
        check_exercise("4.2", gates_ifog)

    def forgetting(x, h, c, kernel, bias):                       # c_{t-1} dropped
        return right(x, h, np.zeros_like(c), kernel, bias)

    with pytest.raises(AssertionError, match="convlstm_step's h differs"):
        check_exercise("4.2", forgetting)


def test_feeding_the_truth_when_the_coin_equals_eta_is_caught():
    def at_or_below(predicted, truth, coins, step, sampling_steps):
        eta = max(0.0, 1.0 - step / sampling_steps) if sampling_steps else 0.0
        pick = (coins <= eta).reshape((-1,) + (1,) * (predicted.ndim - 1))
        return np.where(pick, truth, predicted)

    with pytest.raises(AssertionError, match="next_input differs"):
        check_exercise("4.3", at_or_below)


def test_a_horizon_mse_that_does_not_clip_or_averages_over_steps_is_caught():
    def unclipped(context, future, predicted):
        last = np.repeat(context[:, -1:], future.shape[1], axis=1)
        return {name: ((p - future) ** 2).mean(axis=(0, 2, 3, 4))
                for name, p in (("model", predicted), ("copy last frame", last))}

    with pytest.raises(AssertionError, match="horizon_mse\\['model'\\] differs"):
        check_exercise("4.1", unclipped)

    def over_steps(context, future, predicted):               # one number per clip
        out = READER["4.1"](context, future, predicted)
        return {k: np.full_like(v, v.mean()) for k, v in out.items()}

    with pytest.raises(AssertionError, match="horizon_mse\\['model'\\] differs"):
        check_exercise("4.1", over_steps)

