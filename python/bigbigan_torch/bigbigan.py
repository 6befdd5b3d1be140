"""BigBiGAN's networks (Donahue & Simonyan 2019): BigGAN generator G, ResNet-v2 / RevNet encoder E with an MLP head,
and the joint discriminator D = (F, H, J). Each is built from its node of the configuration JSON that checkpoints,
bundles and exported state dicts carry (``model.generator``, ``model.encoder``, ``model.discriminator``), and
mirrors the Java classes in model/src/main/java/io/bigbigan/model/bigbigan/ one to one: same attribute names (so
the same state-dict keys), same operations in the same order.
"""
from collections import namedtuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import ConditionalBatchNorm, SelfAttention, refresh_spectral_norms, sn_conv, sn_linear


# ----------------------------------------------------------------------------------------------------- generator

class GeneratorBlock(nn.Module):
    """BigGAN's GBlock: conv2(relu(cbn2(conv1(up(relu(cbn1(x, y)))), y))) + conv_sc(up(x))."""

    def __init__(self, spec, cond_dim):
        super().__init__()
        cin, cout = spec["in"], spec["out"]
        self.upsample = spec["upsample"]
        self.cbn1 = ConditionalBatchNorm(cin, cond_dim)
        self.conv1 = sn_conv(cin, cout, 3)
        self.cbn2 = ConditionalBatchNorm(cout, cond_dim)
        self.conv2 = sn_conv(cout, cout, 3)
        self.conv_sc = sn_conv(cin, cout, 1, padding=0) if (cin != cout or self.upsample) else None

    def _up(self, x):
        return F.interpolate(x, size=(2 * x.shape[2], 2 * x.shape[3]), mode="nearest") if self.upsample else x

    def forward(self, x, y):                                          # [B, in, H, W] -> [B, out, 2H, 2W]
        h = self.conv1(self._up(F.relu(self.cbn1(x, y))))
        h = self.conv2(F.relu(self.cbn2(h, y)))
        skip = self._up(x)
        if self.conv_sc is not None:
            skip = self.conv_sc(skip)
        return h + skip


class BigGanGenerator(nn.Module):
    """BigGAN's G with a hierarchical z split into len(blocks) + 1 chunks, conditional BNs on [shared(label), chunk]
    (a single dummy label 0 unless labels are given), optional self-attention, tanh output in (-1, 1)."""

    def __init__(self, c, orthogonal_init=True):
        super().__init__()
        self.config = c
        blocks = c["blocks"]
        self.z_dim = c["zDim"]
        self.chunk = c["zDim"] // (len(blocks) + 1)
        self.bottom = c["bottomWidth"]
        cond = c["sharedEmbedDim"] + self.chunk
        if c["sharedEmbedDim"] > 0:
            self.shared = nn.Embedding(c["numClasses"], c["sharedEmbedDim"])
        else:
            self.shared = None
        self.linear = sn_linear(self.chunk, blocks[0]["in"] * self.bottom * self.bottom)
        self.blocks = nn.ModuleList(GeneratorBlock(s, cond) for s in blocks)
        self.attention_after = -1
        if c["attentionResolution"] > 0:
            for i, s in enumerate(blocks):
                if s["resolution"] == c["attentionResolution"]:
                    self.attention_after = i
        self.attention = SelfAttention(blocks[self.attention_after]["out"]) if self.attention_after >= 0 else None
        last = blocks[-1]["out"]
        self.output_bn = nn.BatchNorm2d(last, momentum=0.1, eps=1e-5)
        self.output_conv = sn_conv(last, c["imageChannels"], 3)
        if orthogonal_init:
            self.init_orthogonal()

    @torch.no_grad()
    def init_orthogonal(self):
        """BigGAN's G_init='ortho' as the Java G does it: every weight_orig and the shared embedding orthogonal,
        then 15 power iterations for the new weights."""
        for name, p in self.named_parameters():
            if name.endswith(".weight_orig") or name == "shared.weight":
                nn.init.orthogonal_(p)
        refresh_spectral_norms(self)

    def forward(self, z, labels=None):                                # [B, zDim] -> [B, C, R, R]
        b = z.shape[0]
        chunks = z.split(self.chunk, 1)
        y = None
        if self.shared is not None:
            if labels is None:
                labels = torch.zeros(b, dtype=torch.long, device=z.device)
            y = self.shared(labels)                                   # [B, shared]
        h = self.linear(chunks[0]).view(b, self.config["blocks"][0]["in"], self.bottom, self.bottom)
        for i, block in enumerate(self.blocks):
            zi = chunks[i + 1]
            h = block(h, zi if y is None else torch.cat([y, zi], 1))
            if i == self.attention_after:
                h = self.attention(h)
        h = F.relu(self.output_bn(h))
        return torch.tanh(self.output_conv(h))


# ------------------------------------------------------------------------------------------------------- encoder

def stem_spec(c):
    """(in, out, kernel, stride, max_pool) of the backbone's stem (Java EncoderConfig.stem())."""
    if c["kind"] == "RESNET_SMALL":
        return c["imageChannels"], c["smallChannels"], 3, 1, False
    return c["imageChannels"], 64 * c["widthMultiplier"], 7, 2, True


def stage_specs(c):
    """Every residual unit, stage by stage, as dicts (type, in, mid, out, stride): Java EncoderConfig.stages()."""
    stages, cin = [], stem_spec(c)[1]
    for s in range(4):
        stage, stride = [], 1 if s == 0 else 2
        if c["kind"] == "RESNET_SMALL":
            ch = c["smallChannels"] << s
            for b in range(c["depths"][s]):
                stage.append(dict(type="BASIC", **{"in": cin if b == 0 else ch}, mid=ch, out=ch,
                                  stride=stride if b == 0 else 1))
            cin = ch
        else:
            mid = (64 * c["widthMultiplier"]) << s
            ch = 4 * mid
            stage.append(dict(type="BOTTLENECK", **{"in": cin}, mid=mid, out=ch, stride=stride))
            for _ in range(1, c["depths"][s]):
                if c["kind"] == "REVNET_50":
                    stage.append(dict(type="REVERSIBLE", **{"in": ch}, mid=ch // 8, out=ch, stride=1))
                else:
                    stage.append(dict(type="BOTTLENECK", **{"in": ch}, mid=mid, out=ch, stride=1))
            cin = ch
        stages.append(stage)
    return stages


def _conv(cin, cout, k, stride):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)


def _bn(c):
    return nn.BatchNorm2d(c, momentum=0.1, eps=1e-5)


class EncoderBlock(nn.Module):
    """Pre-activation residual unit: a = relu(bn1(x)); BOTTLENECK 1x1, 3x3 (stride), 1x1 or BASIC 3x3 (stride),
    3x3; plus the identity or a 1x1 projection of a."""

    def __init__(self, spec):
        super().__init__()
        cin, mid, cout, stride = spec["in"], spec["mid"], spec["out"], spec["stride"]
        self.bn1 = _bn(cin)
        if spec["type"] == "BOTTLENECK":
            self.conv1 = _conv(cin, mid, 1, 1)
            self.bn2 = _bn(mid)
            self.conv2 = _conv(mid, mid, 3, stride)
            self.bn3 = _bn(mid)
            self.conv3 = _conv(mid, cout, 1, 1)
        else:
            self.conv1 = _conv(cin, cout, 3, stride)
            self.bn2 = _bn(cout)
            self.conv2 = _conv(cout, cout, 3, 1)
            self.bn3, self.conv3 = None, None
        self.shortcut = _conv(cin, cout, 1, stride) if (cin != cout or stride != 1) else None

    def _branch(self, a):
        h = self.conv2(F.relu(self.bn2(self.conv1(a))))
        if self.conv3 is not None:
            h = self.conv3(F.relu(self.bn3(h)))
        return h

    def residual(self, x):
        """The residual function alone (F or G of a RevNet block)."""
        return self._branch(F.relu(self.bn1(x)))

    def forward(self, x):
        a = F.relu(self.bn1(x))
        return self._branch(a) + (x if self.shortcut is None else self.shortcut(a))


class RevNetBlock(nn.Module):
    """Reversible unit: y1 = x1 + f(x2), y2 = x2 + g(y1); f, g pre-activation bottlenecks on C/2 channels."""

    def __init__(self, spec):
        super().__init__()
        self.half = spec["out"] // 2
        fg = dict(type="BOTTLENECK", **{"in": self.half}, mid=spec["mid"], out=self.half, stride=1)
        self.f = EncoderBlock(fg)
        self.g = EncoderBlock(fg)

    def forward(self, x):
        x1, x2 = x[:, :self.half], x[:, self.half:]
        y1 = x1 + self.f.residual(x2)
        y2 = x2 + self.g.residual(y1)
        return torch.cat([y1, y2], 1)


class ResNetEncoder(nn.Module):
    """Stem, four stages of units, final BN-ReLU and global average pooling: [B, C, R, R] -> [B, featureDim]."""

    def __init__(self, c):
        super().__init__()
        cin, cout, k, stride, self.max_pool = stem_spec(c)
        self.stem = _conv(cin, cout, k, stride)
        specs = stage_specs(c)
        self.stages = nn.ModuleList(
            nn.ModuleList(RevNetBlock(s) if s["type"] == "REVERSIBLE" else EncoderBlock(s) for s in stage)
            for stage in specs)
        self.feature_dim = specs[-1][-1]["out"]
        self.bn_out = _bn(self.feature_dim)

    def forward(self, x):
        h = self.stem(x)
        if self.max_pool:
            h = F.max_pool2d(h, 3, 2, 1)
        for stage in self.stages:
            for unit in stage:
                h = unit(h)
        return F.relu(self.bn_out(h)).mean((2, 3))                    # [B, F]


class ResidualBlock(nn.Module):
    """h + fc2(relu(fc1(relu(h))))."""

    def __init__(self, width):
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)

    def forward(self, h):
        return h + self.fc2(F.relu(self.fc1(F.relu(h))))


EncoderOutput = namedtuple("EncoderOutput", "z mu sigma pooled")


class EncoderHead(nn.Module):
    """fc_in, residual blocks, out(relu(h)): mu and softplus sigma (GAUSSIAN), or z = mu (DETERMINISTIC),
    or z = mu = tanh(o) (UNIFORM)."""

    def __init__(self, features, c):
        super().__init__()
        self.posterior, self.z_dim = c["posterior"], c["zDim"]
        self.fc_in = nn.Linear(features, c["headWidth"])
        self.blocks = nn.ModuleList(ResidualBlock(c["headWidth"]) for _ in range(c["headBlocks"]))
        self.out = nn.Linear(c["headWidth"], 2 * c["zDim"] if self.posterior == "GAUSSIAN" else c["zDim"])

    def forward(self, features, eps=None, generator=None):
        h = self.fc_in(features)
        for b in self.blocks:
            h = b(h)
        o = self.out(F.relu(h))
        if self.posterior == "DETERMINISTIC":
            return o, o, None
        if self.posterior == "UNIFORM":
            z = torch.tanh(o)
            return z, z, None
        mu = o[:, :self.z_dim]
        sigma = F.softplus(o[:, self.z_dim:])
        if eps is None:      # drawn like the Java head: float32 N(0, 1) from the generator, then mu's device/dtype
            eps = torch.randn(mu.shape, generator=generator,
                              device=generator.device if generator is not None else mu.device).to(mu)
        return mu + eps * sigma, mu, sigma


class StochasticEncoder(nn.Module):
    """E(z | x): inputs [B, C, H, W] in [-1, 1], resized bilinearly to E's resolution when they differ; returns
    ``EncoderOutput(z, mu, sigma, pooled)``. ``eps`` [B, zDim] gives the posterior noise (else drawn)."""

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.backbone = ResNetEncoder(c)
        self.head = EncoderHead(self.backbone.feature_dim, c)

    def forward(self, x, eps=None, generator=None):
        r = self.config["resolution"]
        if x.shape[2] != r or x.shape[3] != r:
            x = F.interpolate(x, size=(r, r), mode="bilinear", align_corners=False)
        pooled = self.backbone(x)
        z, mu, sigma = self.head(pooled, eps, generator)
        return EncoderOutput(z, mu, sigma, pooled)


# ------------------------------------------------------------------------------------------------- discriminator

class DiscriminatorBlock(nn.Module):
    """BigGAN's DBlock: [relu] conv1 relu conv2 [avgpool] + shortcut (conv_sc before/after the pool)."""

    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        cin, cout = spec["in"], spec["out"]
        self.conv1 = sn_conv(cin, cout, 3)
        self.conv2 = sn_conv(cout, cout, 3)
        self.conv_sc = sn_conv(cin, cout, 1) if (cin != cout or spec["downsample"]) else None

    def forward(self, x):
        s = self.spec
        h = F.relu(x) if s["preactivation"] else x
        h = self.conv2(F.relu(self.conv1(h)))
        if s["downsample"]:
            h = F.avg_pool2d(h, 2)
        if self.conv_sc is None:
            skip = x
        elif s["preactivation"]:
            skip = self.conv_sc(x)
            if s["downsample"]:
                skip = F.avg_pool2d(skip, 2)
        else:
            skip = self.conv_sc(F.avg_pool2d(x, 2) if s["downsample"] else x)
        return h + skip


class ImageConvNet(nn.Module):
    """F: DBlocks, optional self-attention, ReLU, sum over space; score = SNLinear(Cf, 1)."""

    def __init__(self, c):
        super().__init__()
        self.blocks = nn.ModuleList(DiscriminatorBlock(s) for s in c["fBlocks"])
        self.attention_after = -1
        if c["attentionResolution"] > 0:
            self.attention_after = next(i for i, s in enumerate(c["fBlocks"])
                                        if s["resolution"] == c["attentionResolution"])
        self.attention = SelfAttention(c["fBlocks"][self.attention_after]["out"]) \
            if self.attention_after >= 0 else None
        self.score = sn_linear(c["fBlocks"][-1]["out"], 1)

    def features(self, x):
        h = x
        for i, b in enumerate(self.blocks):
            h = b(h)
            if i == self.attention_after:
                h = self.attention(h)
        return F.relu(h).sum((2, 3))                                  # [B, Cf]

    def score_of(self, features):
        return self.score(features).squeeze(1)


class ResidualMlp(nn.Module):
    """H and J: fc_in, residual SN blocks h + fc2(relu(fc1(relu(h)))); score(relu(features))."""

    def __init__(self, inp, width, blocks):
        super().__init__()
        self.fc_in = sn_linear(inp, width)
        self.blocks = nn.ModuleList(_SnResidualBlock(width) for _ in range(blocks))
        self.score = sn_linear(width, 1)

    def features(self, x):
        h = self.fc_in(x)
        for b in self.blocks:
            h = b(h)
        return h

    def score_of(self, features):
        return self.score(F.relu(features)).squeeze(1)


class _SnResidualBlock(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc1 = sn_linear(width, width)
        self.fc2 = sn_linear(width, width)

    def forward(self, h):
        return h + self.fc2(F.relu(self.fc1(F.relu(h))))


Scores = namedtuple("Scores", "sx sz sxz")


class JointDiscriminator(nn.Module):
    """D = (F, H, J): scores s_x = F.score(F(x)), s_z = H.score(H(z)), s_xz = J.score(J([F(x), H(z)])), each [B]."""

    def __init__(self, c):
        super().__init__()
        self.F = ImageConvNet(c)
        self.H = ResidualMlp(c["zDim"], c["hWidth"], c["hBlocks"])
        self.J = ResidualMlp(c["fBlocks"][-1]["out"] + c["hWidth"], c["jWidth"], c["jBlocks"])

    def forward(self, x, z):
        fx = self.F.features(x)
        hz = self.H.features(z)
        jxz = self.J.features(torch.cat([fx, hz], 1))
        return Scores(self.F.score_of(fx), self.H.score_of(hz), self.J.score_of(jxz))
