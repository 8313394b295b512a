"""A minimal H.264 (ISO/IEC 14496-10) bitstream writer for one flat-coloured picture.

``clips.video`` stores what this module writes in an MP4 file. Apart from one
macroblock of raw samples, a coded picture of any size takes a few bits per
macroblock, because nothing in it needs a transform or a motion search:

- The IDR picture sends macroblock 0 as ``I_PCM`` (its samples verbatim, in the
  requested colour) and every other macroblock as ``I_16x16`` with DC
  prediction and no residual, so each copies the flat colour of its decoded
  neighbours: under two bytes for the two beside the PCM one, one byte or
  less for the rest.
- Every later picture is a P slice whose macroblocks are all ``P_Skip``: a
  single ``mb_skip_run`` repeats the reference picture.

The stream is CAVLC-coded with one reference frame and picture order derived
from ``frame_num`` (``pic_order_cnt_type`` 2), so output order is decoding
order. Pictures whose sides are both even are 4:2:0 Constrained Baseline, the
profile every H.264 decoder supports. The 4:2:0 crop unit is two pixels, so a
picture with an odd side is High profile 4:0:0 (luma only, shown grey), the one
8-bit format that crops to single pixels without full-resolution chroma.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_SIDE", "Stream", "stream"]

MAX_SIDE = 4096
"""The largest picture width or height ``stream`` codes."""

_NAL_SPS, _NAL_PPS, _NAL_IDR, _NAL_SLICE = 7, 8, 5, 1
_LOG2_MAX_FRAME_NUM = 4
_I_16X16_DC_NO_RESIDUAL = 3  # mb_type I_16x16_2_0_0: DC prediction, coded block pattern 0
_I_PCM = 25
# (largest frame size in macroblocks, level_idc), from Table A-1.
_LEVELS = (
    (99, 10),
    (396, 20),
    (792, 21),
    (1620, 22),
    (3600, 31),
    (5120, 32),
    (8192, 40),
    (8704, 42),
    (22080, 50),
    (36864, 51),
    (139264, 60),
)


@dataclass(frozen=True)
class Stream:
    """The parameter sets and coded pictures of one stream, each a NAL unit without start code.

    ``idr`` is the first picture and ``repeat`` the pictures after it.
    ``profile``, ``compatibility`` and ``level`` are the SPS's first three
    bytes, which an MP4 ``avcC`` box repeats; ``chroma_format`` is
    ``chroma_format_idc`` (1 for 4:2:0, 0 for luma only).
    """

    sps: bytes
    pps: bytes
    idr: bytes
    repeat: tuple[bytes, ...]
    chroma_format: int

    @property
    def profile(self) -> int:
        """The SPS's ``profile_idc``."""
        return self.sps[1]

    @property
    def compatibility(self) -> int:
        """The SPS's constraint flags byte."""
        return self.sps[2]

    @property
    def level(self) -> int:
        """The SPS's ``level_idc``."""
        return self.sps[3]


def stream(width: int, height: int, colour: tuple[int, int, int], pictures: int) -> Stream:
    """Code ``pictures`` pictures of ``width`` x ``height`` flat in the BT.601 YCbCr ``colour``.

    The first picture is an IDR picture; the others repeat it. ``colour`` is
    limited-range (luma 16 to 235); a 4:0:0 stream keeps only its luma.

    Raises:
        ValueError: If a side is below 1 or above ``MAX_SIDE``, or ``pictures`` is below 1.

    """
    for side in (width, height):
        if not 1 <= side <= MAX_SIDE:
            raise ValueError(f"picture sides must be between 1 and {MAX_SIDE}, got {side}")
    if pictures < 1:
        raise ValueError(f"a stream needs at least one picture, got {pictures}")
    chroma_format = 1 if width % 2 == 0 and height % 2 == 0 else 0
    columns, rows = -(-width // 16), -(-height // 16)
    macroblocks = columns * rows
    level = next((idc for limit, idc in _LEVELS if macroblocks <= limit), _LEVELS[-1][1])
    repeat = tuple(
        _skip_picture(n % 2**_LOG2_MAX_FRAME_NUM, macroblocks) for n in range(1, pictures)
    )
    return Stream(
        sps=_sps(width, height, columns, rows, chroma_format, level),
        pps=_pps(),
        idr=_idr_picture(columns, rows, colour, chroma_format),
        repeat=repeat,
        chroma_format=chroma_format,
    )


class _Bits:
    """An RBSP being written most significant bit first."""

    def __init__(self) -> None:
        self._bytes = bytearray()
        self._pending = 0  # the bits not yet in whole bytes
        self._count = 0  # how many there are, fewer than 8 between calls

    def u(self, width: int, value: int) -> None:
        """Append ``value`` as a ``width``-bit unsigned number."""
        self._pending = self._pending << width | value
        self._count += width
        whole, self._count = divmod(self._count, 8)
        if whole:
            self._bytes += (self._pending >> self._count).to_bytes(whole, "big")
            self._pending &= (1 << self._count) - 1

    def ue(self, value: int) -> None:
        """Append ``value`` as an unsigned Exp-Golomb code."""
        code = value + 1
        self.u(2 * code.bit_length() - 1, code)

    def se(self, value: int) -> None:
        """Append ``value`` as a signed Exp-Golomb code."""
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align(self) -> None:
        """Pad with zero bits to a byte boundary."""
        self.u(-self._count % 8, 0)

    def raw(self, data: bytes) -> None:
        """Append whole bytes; the writer must be byte-aligned."""
        assert self._count == 0
        self._bytes += data

    def rbsp(self) -> bytes:
        """Finish with ``rbsp_trailing_bits`` and return the bytes."""
        self.u(1, 1)
        self.align()
        return bytes(self._bytes)


def _nal(ref_idc: int, kind: int, rbsp: bytes) -> bytes:
    """Wrap an RBSP in a NAL unit, inserting emulation prevention bytes."""
    out = bytearray([ref_idc << 5 | kind])
    zeros = 0
    for byte in rbsp:
        if zeros == 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _sps(width: int, height: int, columns: int, rows: int, chroma_format: int, level: int) -> bytes:
    bits = _Bits()
    if chroma_format == 1:
        bits.u(8, 66)  # Baseline,
        bits.u(8, 0b11000000)  # constrained (constraint_set0 and constraint_set1)
    else:
        bits.u(8, 100)  # High
        bits.u(8, 0)
    bits.u(8, level)
    bits.ue(0)  # seq_parameter_set_id
    if chroma_format != 1:
        bits.ue(chroma_format)
        bits.ue(0)  # bit_depth_luma_minus8
        bits.ue(0)  # bit_depth_chroma_minus8
        bits.u(1, 0)  # qpprime_y_zero_transform_bypass_flag
        bits.u(1, 0)  # seq_scaling_matrix_present_flag
    bits.ue(_LOG2_MAX_FRAME_NUM - 4)
    bits.ue(2)  # pic_order_cnt_type
    bits.ue(1)  # max_num_ref_frames
    bits.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    bits.ue(columns - 1)
    bits.ue(rows - 1)
    bits.u(1, 1)  # frame_mbs_only_flag
    bits.u(1, 1)  # direct_8x8_inference_flag
    unit = 2 if chroma_format == 1 else 1  # CropUnitX and CropUnitY
    crop_right, crop_bottom = (16 * columns - width) // unit, (16 * rows - height) // unit
    cropped = crop_right > 0 or crop_bottom > 0
    bits.u(1, int(cropped))
    if cropped:
        for offset in (0, crop_right, 0, crop_bottom):  # left, right, top, bottom
            bits.ue(offset)
    bits.u(1, 0)  # vui_parameters_present_flag
    return _nal(3, _NAL_SPS, bits.rbsp())


def _pps() -> bytes:
    bits = _Bits()
    bits.ue(0)  # pic_parameter_set_id
    bits.ue(0)  # seq_parameter_set_id
    bits.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    bits.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    bits.ue(0)  # num_slice_groups_minus1
    bits.ue(0)  # num_ref_idx_l0_default_active_minus1
    bits.ue(0)  # num_ref_idx_l1_default_active_minus1
    bits.u(1, 0)  # weighted_pred_flag
    bits.u(2, 0)  # weighted_bipred_idc
    bits.se(0)  # pic_init_qp_minus26
    bits.se(0)  # pic_init_qs_minus26
    bits.se(0)  # chroma_qp_index_offset
    bits.u(1, 1)  # deblocking_filter_control_present_flag
    bits.u(1, 0)  # constrained_intra_pred_flag
    bits.u(1, 0)  # redundant_pic_cnt_present_flag
    return _nal(3, _NAL_PPS, bits.rbsp())


def _slice_header(bits: _Bits, *, idr: bool, frame_num: int) -> None:
    bits.ue(0)  # first_mb_in_slice
    bits.ue(7 if idr else 5)  # slice_type: I or P, as every slice of the picture
    bits.ue(0)  # pic_parameter_set_id
    bits.u(_LOG2_MAX_FRAME_NUM, frame_num)
    if idr:
        bits.ue(0)  # idr_pic_id
    else:
        bits.u(1, 0)  # num_ref_idx_active_override_flag
        bits.u(1, 0)  # ref_pic_list_modification_flag_l0
    # dec_ref_pic_marking: no_output_of_prior_pics_flag and long_term_reference_flag
    # for an IDR picture, adaptive_ref_pic_marking_mode_flag otherwise.
    bits.u(2 if idr else 1, 0)
    bits.se(0)  # slice_qp_delta
    bits.ue(1)  # disable_deblocking_filter_idc: off (flat pictures have no edges)


def _idr_picture(
    columns: int, rows: int, colour: tuple[int, int, int], chroma_format: int
) -> bytes:
    luma, blue, red = colour
    bits = _Bits()
    _slice_header(bits, idr=True, frame_num=0)
    bits.ue(_I_PCM)
    bits.align()  # pcm_alignment_zero_bit
    bits.raw(bytes([luma]) * 256)
    if chroma_format == 1:
        bits.raw(bytes([blue]) * 64 + bytes([red]) * 64)
    for address in range(1, columns * rows):
        bits.ue(_I_16X16_DC_NO_RESIDUAL)
        if chroma_format == 1:
            bits.ue(0)  # intra_chroma_pred_mode: DC
        bits.se(0)  # mb_qp_delta
        # The Intra16x16DCLevel block is always coded; with no coefficients its
        # coeff_token depends on nC, which counts an I_PCM neighbour as 16.
        if address in (1, columns):
            bits.u(6, 0b000011)  # TotalCoeff 0 for 8 <= nC
        else:
            bits.u(1, 1)  # TotalCoeff 0 for 0 <= nC < 2
    return _nal(3, _NAL_IDR, bits.rbsp())


def _skip_picture(frame_num: int, macroblocks: int) -> bytes:
    bits = _Bits()
    _slice_header(bits, idr=False, frame_num=frame_num)
    bits.ue(macroblocks)  # mb_skip_run: the whole picture
    return _nal(2, _NAL_SLICE, bits.rbsp())
