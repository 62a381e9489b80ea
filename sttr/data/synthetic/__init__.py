"""Synthetic mini-NTU: kinematic bodies filmed by three Kinect v2 cameras, written as NTU ``.skeleton`` files.

NTU RGB+D cannot be downloaded by a script, so the default pipeline runs on this set: the same file format,
names, splits and preprocessing as the real data. The package has one module per job: ``body`` (the
joint-angle body model), ``actions`` (the choreography of each class and ``perform``), ``camera`` (filming
by virtual Kinect v2 cameras: ``film``), ``generation`` (names, setups, writing through
``sttr.data.ntu.encode_skeleton``, a process pool) and ``kinetics`` (the same performances as 2D OpenPose
detections in ST-GCN's Kinetics-skeleton format: ``generate_kinetics``). It is a test bed for the pipeline
and for the paper's claims, not a substitute for NTU or Kinetics.

Classes (NTU numbers and names; motion; the paper's claim each one exercises):

====  =============================  =========================================================  ==================
 A    NTU name                       motion                                                     claim
====  =============================  =========================================================  ==================
 8    sitting down                   hips and knees flex to ~90 deg, pelvis lowers, trunk leans  order in time
                                     forward then back, hands move onto the thighs
 9    standing up                    exactly the frames of "sitting down" played backwards       order in time
 10   clapping                       both wrists meet and part in front of the chest (cyclic)    far joints
 14   wear jacket                    keyframed: left arm into a sleeve behind, right hand over   order in time
                                     the shoulder, right arm into a sleeve, hands to the front
 15   take off jacket                the same keyframes in reverse order                         order in time
 29   playing with phone/tablet      hands together at the lower chest, head bent down, tapping  far joints
 30   typing on a keyboard           hands apart at waist height, small independent taps, head   far joints
                                     slightly down
 34   rub two hands together         wrists touching in front, sliding against each other        far joints
 40   cross hands in front           forearms crossed in front of the chest, held                far joints
 44   touch head (headache)          dominant hand to the side of the head, head bends down      far joints
 53   pat on back of other person    side by side; the dominant hand pats the other's upper back interaction
 54   point finger at other person   facing; dominant arm stretched towards the other's chest    interaction
 55   hugging other person           facing; both step in, arms around the other's back          interaction
 58   handshaking                    facing; right hands meet half-way and shake up and down     interaction
====  =============================  =========================================================  ==================

"far joints": relations between joints far apart in the graph (hands to each other or to the head);
"order in time": 8/9 and 14/15 are time reversals of each other (same poses, reversed order);
"interaction": two bodies in the file (NTU's A50-A60). Lengths (40-300 frames, mean ~90), speed,
position, facing and amplitude are drawn independently of the class; every body also sways, turns its
head and, in 40 % of performances, makes an unrelated gesture with a free arm (in front, near the face
or on the hip), so that classes overlap somewhat. Nothing is tuned to favour one model.

Filming, as in NTU: cameras C001 at 0 deg, C002 at +45 deg and C003 at -45 deg around the subject, at
the same height; in replication R001 the subject faces C002, in R002 it faces C003, so C001 always
sees a 45 deg view and C002/C003 see front and side views (interaction pairs stand side-on to that
camera). Setup S001-S017 = 1 + (performer - 1) mod 17 (or the next setup, where that name is on a
missing-skeleton list) fixes camera height (0.7-1.4 m) and distance (2.6-3.4 m); the subject stands
2.3-3.7 m from each camera. Kinect camera space: metres, x to the sensor's left, y up, z depth. Each
file adds sensor noise, per-frame jitter, inferred joints (trackingState 1 with displaced positions,
more often on the far arm in side views), lost frames (0 bodies) and, in 8 % of files, a spurious
low-energy body (a small static blob, sometimes listed first). Joint orientations are unit quaternions
whose y axis follows the bone to the child joint; end joints (head, feet, hand tips, thumbs) have
0 0 0 0 as Kinect writes them. Numbers: xyz and quaternions with 7 decimals, pixels with 4, trailing
zeros dropped.
"""

from sttr.data.names import SYNTHETIC_ACTIONS
from sttr.data.synthetic.actions import (
    INTERACTIONS,
    TIME_REVERSED_PAIRS,
    describe_classes,
    perform,
    time_reversed_class_names,
)
from sttr.data.synthetic.camera import film
from sttr.data.synthetic.generation import generate, setup_of

__all__ = [
    "INTERACTIONS",
    "SYNTHETIC_ACTIONS",
    "TIME_REVERSED_PAIRS",
    "describe_classes",
    "film",
    "generate",
    "perform",
    "setup_of",
    "time_reversed_class_names",
]
