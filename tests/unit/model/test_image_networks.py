"""What the image networks share: batch-norm statistics stay those of pretraining, and the encoder's
weights round-trip through a version folder."""
import pytest
import torch
from torch import nn

from model.detection.network import Detector
from model.image_classification.network import ImageClassifier, image_encoder, load_encoder, save_encoder


@pytest.mark.parametrize('network', [ImageClassifier, Detector])
def test_training_leaves_the_encoder_batch_norm_in_eval_and_the_rest_in_training(network):
    module = network(image_encoder(), 2).train()
    norms = [m for m in module.encoder.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and not any(m.training for m in norms)
    assert module.training and module.head.training
    assert not module.eval().training


def test_an_encoder_saved_then_loaded_has_the_same_weights(tmp_path):
    torch.manual_seed(0)
    encoder = image_encoder()
    save_encoder(encoder, tmp_path)
    loaded = load_encoder(tmp_path)
    for (name, value), (_, again) in zip(encoder.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(value, again), name
