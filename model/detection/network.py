"""An EfficientNet-Lite0 backbone with an FPN-lite neck and a CenterNet head: boxes as heatmap peaks.

CenterNet (X. Zhou, D. Wang and P. Krähenbühl, Objects as Points, 2019) is
anchor-free: every object is the peak of its class's heatmap at its centre,
with the box's size and the centre's sub-cell offset read at that peak.
One stride-8 map serves every object size, so there are no anchor sizes or
ratios to tune per project and no IoU-based target assignment; decoding is
a 3x3 max-pool and a top-k instead of sorting thousands of anchors. The
head is a few convolutions on 64 channels, so on a CPU nearly all the time
goes to the backbone the image classifier already pays for.
"""
import torch
import torch.nn.functional as F
from torch import nn

from model.image_classification.network import PretrainedStatistics, image_encoder

NECK_CHANNELS = 64
"""Channels of the fused stride-8 map and of the head's hidden layer."""

HEATMAP_PRIOR = 0.1
"""Initial heatmap probability everywhere (CenterNet's bias of -2.19): the focal loss starts small."""

FROZEN_STAGES = 2
"""Backbone stages (stem, then the stride-2 and stride-4 blocks) kept at their ImageNet weights while
fine-tuning: generic edges and textures, and the costliest part of the backward pass at full resolution."""

EMBEDDING_SIZE = 1280
"""Width of :meth:`Detector.embed`: EfficientNet-Lite0's pooled ``_conv_head`` features."""


class Detector(PretrainedStatistics, nn.Module):
    """EfficientNet-Lite0 (``encoder``) and a fresh neck and CenterNet head (``head``) over ``num_classes``.

    Batch-norm statistics stay those of pretraining while fine-tuning, as in
    :class:`~model.image_classification.network.ImageClassifier`. The stem
    and the first :data:`FROZEN_STAGES` stages get no gradient.
    """

    def __init__(self, encoder, num_classes):
        super().__init__()
        self.encoder = encoder
        self.stage_ends = stage_ends(encoder)
        channels = [encoder._blocks[end]._block_args.output_filters for end in self.stage_ends[-3:]]
        self.head = CenterNetHead(channels, num_classes)
        frozen = [encoder._conv_stem, encoder._bn0, *encoder._blocks[:self.stage_ends[FROZEN_STAGES - 1] + 1]]
        for module in frozen:
            module.requires_grad_(False)
        # Channels-last (NHWC): oneDNN's CPU convolutions ran a training step 1.6x faster so, at 192 and 256 px.
        self.to(memory_format=torch.channels_last)

    @classmethod
    def from_encoder(cls, weights, num_classes):
        """A detector on the EfficientNet-Lite0 checkpoint ``weights`` (:func:`image_encoder`)."""
        return cls(image_encoder(weights), num_classes)

    def features(self, pixels):
        """The backbone's last block of strides 8, 16 and 32 for pixels ``(batch, 3, size, size)``."""
        encoder = self.encoder
        x = encoder._swish(encoder._bn0(encoder._conv_stem(pixels.contiguous(memory_format=torch.channels_last))))
        taps = []
        for index, block in enumerate(encoder._blocks):
            x = block(x)  # without the drop-connect extract_features adds while training
            if index in self.stage_ends:
                taps.append(x)
        return taps[-3:]

    def forward(self, pixels):
        """Heatmap logits ``(batch, num_classes, h, w)``, sizes and offsets ``(batch, 2, h, w)`` on the
        stride-8 map (``h = ceil(size / 8)``), from pixels ``(batch, 3, size, size)``."""
        return self.head(self.features(pixels))

    def forward_and_embed(self, pixels):
        """:meth:`forward`'s three maps and :meth:`embed`'s features from one backbone pass."""
        taps = self.features(pixels)
        return (*self.head(taps), self._pool(taps[-1]))

    def embed(self, pixels):
        """Pooled backbone features ``(batch, 1280)``, as the image classifier's encoder gives them."""
        return self._pool(self.features(pixels)[-1])

    def _pool(self, stride32):
        encoder = self.encoder
        return encoder._swish(encoder._bn1(encoder._conv_head(stride32))).mean(dim=(2, 3))


class CenterNetHead(nn.Module):
    """FPN-lite neck (lateral 1x1 convolutions, top-down sums, one 3x3 convolution) fusing strides 8, 16
    and 32, then three 1x1 outputs on a shared 3x3 layer: class heatmap logits, box size and centre offset.

    Sizes are ``(width, height)`` as fractions of the image; offsets are where
    the centre lies within its cell, in cells (0 to 1).
    """

    def __init__(self, in_channels, num_classes, channels=NECK_CHANNELS):
        super().__init__()
        self.laterals = nn.ModuleList(nn.Conv2d(c, channels, 1) for c in in_channels)
        self.smooth = _conv_bn_relu(channels, channels)
        self.hidden = _conv_bn_relu(channels, channels)
        self.heatmap = nn.Conv2d(channels, num_classes, 1)
        self.size = nn.Conv2d(channels, 2, 1)
        self.offset = nn.Conv2d(channels, 2, 1)
        nn.init.constant_(self.heatmap.bias, -torch.log(torch.tensor((1 - HEATMAP_PRIOR) / HEATMAP_PRIOR)).item())

    def forward(self, taps):
        """``(heatmap logits, sizes, offsets)`` at the resolution of the first of ``taps`` (finest first)."""
        laterals = [conv(tap) for conv, tap in zip(self.laterals, taps)]
        x = laterals[-1]
        for lateral in reversed(laterals[:-1]):
            x = lateral + F.interpolate(x, size=lateral.shape[-2:], mode='nearest')
        x = self.hidden(self.smooth(x))
        return self.heatmap(x), self.size(x), self.offset(x)


def stage_ends(encoder):
    """Indices of the last block of each stride of an EfficientNet's ``_blocks``, finest first: strides
    2, 4, 8, 16 and 32 end at blocks 0, 2, 4, 10 and 15 in Lite0."""
    strides = [_stride(block) for block in encoder._blocks]
    return [index for index in range(len(strides)) if index + 1 == len(strides) or strides[index + 1] > 1]


def _stride(block):
    stride = block._block_args.stride
    return stride[0] if isinstance(stride, (list, tuple)) else stride


def _conv_bn_relu(in_channels, out_channels):
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))
