import numpy as np
import pytest

from vidgen_tf.course import EXERCISES, check_exercise
from vidgen_tf.data import bounce_step
from vidgen_tf.metrics import frame_differences, frechet_distance_from_features, psnr
from vidgen_tf.losses import (elbo, gaussian_kl, gradient_penalty, hinge_d_loss,
                              nonsaturating_g_loss, r1_penalty, reparameterize)
from vidgen_tf.metrics.scores import consistent_share, step_lengths
from vidgen_tf.models.latent_paths import latent_loop


def _psnr_frame(frame, reference):
    return float(psnr(frame[None, None], reference[None, None])[0])


REFERENCES = {"0.1": bounce_step, "0.2": frame_differences, "0.3": _psnr_frame,
              "1.1": reparameterize, "1.2": gaussian_kl, "1.3": elbo, "1.4": latent_loop,
              "2.1": hinge_d_loss, "2.2": nonsaturating_g_loss,
              "2.3": lambda critic, real, fake, mix: gradient_penalty(critic, real, fake, mix=mix),
              "2.4": r1_penalty,
              "8.1": frechet_distance_from_features, "8.2": consistent_share,
              "8.3": lambda centres: step_lengths(centres).mean()}


@pytest.mark.parametrize("exercise_id", sorted(REFERENCES))
def test_reference_answers_pass_with_one_deterministic_line(exercise_id, capsys):
    check_exercise(exercise_id, REFERENCES[exercise_id])
    first = capsys.readouterr().out
    check_exercise(exercise_id, REFERENCES[exercise_id])      # fresh random inputs
    assert capsys.readouterr().out == first
    assert first.startswith(f"Exercise {exercise_id} passed: ") and first.count("\n") == 1


def test_every_registered_exercise_has_a_reference_here():
    check_exercise("0.1", bounce_step)                       # imports the registry
    assert set(REFERENCES) <= set(EXERCISES)
    assert set(EXERCISES) == set(REFERENCES)


def test_a_bounce_without_velocity_flip_is_caught():
    def forgets_velocity(position, velocity, low, high):
        new_position, _ = bounce_step(position, velocity, low, high)
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
        new_position, new_velocity = bounce_step(position, velocity, low, high)
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
    with pytest.raises(KeyError, match="No exercise '9.9'"):
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
