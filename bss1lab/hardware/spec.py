"""BrainScaleS-1 numbers, each once, with its source.

Sources as collected in the project's hardware reference (shared/reference/
brainscales1.md); "derived" marks numbers computed from the others, "model" marks a
choice of this emulator where no published number exists (say so when you use it).
"""

# --- the system --------------------------------------------------------------------
#: HICANN chips on a wafer (electronicvisions/halco: include/halco/hicann/v2/hicann.h).
HICANNS_PER_WAFER = 384
#: The HICANN grid the wafer's chips sit on, columns x rows (same source).
WAFER_GRID = (36, 16)
#: HICANNs per reticle, as columns x rows of the grid; one FPGA serves one reticle.
RETICLE_SHAPE = (4, 2)
#: FPGAs (= reticles) per wafer.
FPGAS_PER_WAFER = 48
#: Nominal speed-up over biological time, and the configurable range
#: (seed article; HBP platform guidebook).
SPEEDUP_NOMINAL = 1.0e4
SPEEDUP_RANGE = (1.0e3, 1.0e5)
#: Power of one wafer module, W (seed article: about 2 kW, the supply's rating).
MODULE_POWER_W = 2000.0
#: Configuring a new network takes about a minute; changing weights or inputs of a
#: configured one "seconds" (electronicvisions/brainscales1-demos: random_network.rst).
#: The 5 s is the model's reading of "seconds".
CONFIGURATION_TIME_S = 60.0
RECONFIGURATION_TIME_S = 5.0

# --- one HICANN --------------------------------------------------------------------
DENMEMS_PER_HICANN = 512
#: Denmems per floating-gate block (4 blocks per HICANN); V_reset is shared by a block.
#: (The reference says "the 128 neurons of one floating-gate block": denmems, the
#: circuits that a neuron of several denmems joins.)
DENMEMS_PER_FLOATING_GATE_BLOCK = 128
#: Neuron size (denmems per neuron) -> (neurons per HICANN, synapses per neuron).
NEURON_CAPACITY = {1: (472, 224), 2: (236, 448), 4: (118, 896), 8: (59, 1792),
                   16: (32, 3584), 32: (16, 7168), 64: (8, 14336)}
#: Synapse drivers per HICANN (112 per side); each drives two synapse rows of 256
#: synapses in one of the two synapse arrays.
SYNAPSE_DRIVERS_PER_HICANN = 224
ROWS_PER_DRIVER = 2
#: A synapse decodes the 4 low bits of the 6-bit L1 address; the 2 high bits are set
#: per half row (the synapses of one column parity), so one half row serves 16
#: sources (electronicvisions/marocco: marocco/routing/SynapseDriverRequirements.h).
SOURCES_PER_HALF_ROW = 16
HALF_ROWS_PER_ROW = 2
#: Usable addresses (sources) on one L1 bus: 64 minus the reserved ones.
SOURCES_PER_L1_BUS = 59
#: The switch between vertical L1 lines and synapse drivers is sparse: a line reaches
#: one driver in each block of eight on its side, so drivers fall into eight classes
#: by the lines that reach them; lines 4 k .. 4 k + 3 (mod 32) share a class
#: (electronicvisions/halco: SynapseSwitchOnHICANN::column, VLineOnHICANN::
#: toSynapseDriverOnHICANN).
SWITCH_CLASSES = 8
#: Synapse drivers form four quadrants of 56 (top/bottom x left/right); a bus entering
#: a driver may be passed on to adjacent free drivers of its quadrant (a chain), as
#: marocco's driver assignment does (electronicvisions/marocco:
#: marocco/routing/Fieres.cpp; halco SynapseDriverOnQuadrant).
DRIVERS_PER_QUADRANT = 56

# --- L1 buses (electronicvisions/halco: src/halco/hicann/v2/l1.cpp, include/halco/
# hicann/v2/l1.h) ---------------------------------------------------------------------
#: Horizontal and vertical L1 lines per HICANN (the vertical ones, 128 per side).
HORIZONTAL_LINES = 64
VERTICAL_LINES_PER_SIDE = 128
#: A HICANN's output channels (merger tree) and the horizontal line each one sends on.
OUTPUT_CHANNELS = 8
SENDING_LINES = (6, 14, 22, 30, 38, 46, 54, 62)
#: A line continues on the neighbouring HICANN shifted by this many lines (east: +2
#: for horizontal lines; north: +2 on the left vertical lines, -2 on the right ones).
LINE_SHIFT_PER_HOP = 2
#: The crossbar joins horizontal line h to vertical lines 31 - h // 2 + 32 k (left) and
#: 128 + h // 2 + 32 k (right), k = 0..3.
CROSSBAR_STRIDE = 32
#: Weight resolution: 4 bits.
WEIGHT_LEVELS = 16
#: Uncalibrated synaptic conductance for digital weight w (hardware units, nS):
#: g = c0 + c1 w + c2 w^2.
WEIGHT_CURVE = (93.94, 81.34, -1.597)

# --- neuron model ------------------------------------------------------------------
#: Membrane capacitance per denmem, pF.
CAPACITANCE_PF = {"big": 2.16456, "small": 0.1642}
#: Leak speed modes and their divisors of the leak conductance.
LEAK_MODES = {"fast": 1, "normal": 3, "slow": 27}
#: The speed-up at which the reference quotes bio-time figures (ranges, delays,
#: link rates): the circuits' own times are fixed, so in bio time those figures scale
#: with speed-up / REFERENCE_SPEEDUP (times) or its inverse (rates).
REFERENCE_SPEEDUP = 1.0e4
#: Ranges the calibration covers, in bio units at REFERENCE_SPEEDUP (derived).
#: tau_m depends on capacitor and leak mode; only the combinations with a published
#: range are listed.
TAU_M_RANGE_MS = {("big", "normal"): (5.4, 482.0), ("small", "normal"): (1.1, 96.0),
                  ("small", "slow"): (3.0, 722.0)}
TIME_CONSTANT_RANGES_MS = {"tau_syn_E": (1.3, 15.0), "tau_syn_I": (1.3, 15.0),
                           "tau_refrac": (0.15, 17.0), "tau_w": (29.0, 354.0)}

# --- variation and calibration -----------------------------------------------------
#: Spread (sigma of a normal distribution, bio units) left after calibration, as the
#: authors use it to mimic the hardware in NEST (brainscales1-demos experiment code).
#: "weights" is relative. Random network: big capacitor; microcircuit: small.
CALIBRATED_SPREAD = {
    "big": {"v_thresh": 1.12, "v_rest": 1.96, "v_reset": 4.2, "e_rev_E": 14.0,
            "e_rev_I": 1.96, "tau_m": 2.0, "tau_syn_E": 0.4, "tau_syn_I": 0.2,
            "tau_refrac": 1.0, "weights": 0.5},
    "small": {"v_thresh": 1.1, "v_rest": 2.0, "v_reset": 1.6, "e_rev_E": 11.1,
              "e_rev_I": 1.6, "tau_m": 8.0, "tau_syn_E": 0.6, "tau_syn_I": 0.4,
              "tau_refrac": 1.5, "weights": 0.1},
}
#: The time-constant spreads above hold at the values the two networks used (the
#: random network: tau_m 10, tau_syn 3, tau_refrac 2 ms; the microcircuit: tau_m 10,
#: tau_syn 2.2, tau_refrac 2 ms); they are applied relative to them.
CALIBRATED_SPREAD_REFERENCE_MS = {
    "big": {"tau_m": 10.0, "tau_syn_E": 3.0, "tau_syn_I": 3.0, "tau_refrac": 2.0},
    "small": {"tau_m": 10.0, "tau_syn_E": 2.2, "tau_syn_I": 2.2, "tau_refrac": 2.0},
}
#: Model: a deviated time constant keeps at least this fraction of its value (the
#: circuits cannot go to zero; a normal draw would).
TIME_CONSTANT_FLOOR = 0.05
#: Model: how much wider the fixed-pattern noise is without calibration. No number is
#: published with the seed experiments; 5x the calibrated residuals.
UNCALIBRATED_SPREAD_FACTOR = 5.0
#: Model: fraction of denmems that fail calibration and are blacklisted (no published
#: number with the seed experiments).
CALIBRATION_FAILURE_RATE = 0.02
#: Model: trial-to-trial variation of reprogramming the floating gates, relative to
#: the calibrated spread (no published number: a knob).
TRIAL_TO_TRIAL_FRACTION = 0.1

# --- routing, delays, links --------------------------------------------------------
#: Delay fit on one wafer at a speed-up of 1e4: d = offset + per hop * HICANN hops +
#: N(0, jitter), bio ms (hardware delays are fixed: in bio time they scale with
#: speed-up / 1e4).
DELAY_OFFSET_MS = 0.6444
DELAY_PER_HOP_MS = 0.0397
DELAY_JITTER_MS = 0.1
#: Spike recording off the wafer per HICANN, bio Hz at 1e4 (electronicvisions/sthal:
#: sthal/FPGA.cpp: 25 M events/s).
READOUT_LIMIT_HZ = 2500.0
#: Stimulus into the wafer per HICANN link and per FPGA, bio Hz at 1e4
#: (electronicvisions/marocco: marocco/placement/InputPlacement.cpp).
INPUT_LINK_LIMIT_HZ = 1780.0
INPUT_FPGA_LIMIT_HZ = 12500.0
#: Model: events a link buffers before it drops (a FIFO of this depth served at the
#: link's rate); no published depth.
LINK_BUFFER_EVENTS = 16
#: Synaptic input circuits depart from the model above about this mean input rate
#: (random network demo), bio Hz at a speed-up of 1e4 (scaling with 1e4 / speed-up).
SATURATION_RATE_HZ = 50.0
#: Model: how far short of the model the synaptic input falls at that rate. The
#: effective conductance is g / sqrt(1 + (g / g_s)^2), with g_s set so a neuron whose
#: inputs all fire at SATURATION_RATE_HZ gets this fraction less than the model.
SATURATION_SHORTFALL = 0.1
#: Short-term plasticity: range of the utilisation U.
STP_U_RANGE = (0.25, 0.40)
