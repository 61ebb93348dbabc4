"""ByteDropout: the rate it claims, an unchanged expectation, seeded, identity in eval mode."""
import pytest

torch = pytest.importorskip("torch")

from mmrec_core.models.layers import ByteDropout, byte_keep_mask  # noqa: E402


def test_mask_rate_is_the_quantised_probability():
    torch.manual_seed(0)
    mask, scale = byte_keep_mask((200, 500), 0.1)
    assert mask.dtype == torch.bool and mask.shape == (200, 500)
    assert abs((~mask).float().mean().item() - 26 / 256) < 0.003
    assert scale == pytest.approx(256 / 230)
    with pytest.raises(ValueError):
        byte_keep_mask((3,), 1.0)


def test_expectation_is_kept_and_eval_is_identity():
    drop = ByteDropout(0.1)
    x = torch.ones(400, 300)
    torch.manual_seed(1)
    y = drop.train()(x)
    assert y.mean().item() == pytest.approx(1.0, abs=0.01)
    values = torch.unique(y).tolist()
    assert len(values) == 2 and values[0] == 0.0 and values[1] == pytest.approx(256 / 230)
    assert torch.equal(drop.eval()(x), x)


def test_same_seed_same_mask():
    drop = ByteDropout(0.2).train()
    x = torch.randn(64, 7)
    torch.manual_seed(3)
    a = drop(x)
    torch.manual_seed(3)
    assert torch.equal(a, drop(x))
