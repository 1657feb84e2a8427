"""The videos of the real-caption evaluation set: caption file, metadata and labels, one entry each.

Captions are real (files under raw/). Titles, descriptions, dates and counts are written by hand
for each video id after reading its transcript; they are not the platform's own metadata.
`golden` is the passage (seconds in the caption file) a person following the topic would most
want as a clip; the build snaps it to segment boundaries. `style` says how the captions are
rendered in the catalog: "manual" keeps the caption file's casing, punctuation and cue cuts,
"auto" renders the same words the way automatic captions look (lower case, no punctuation,
short cuts at word timings).
"""

from __future__ import annotations

from dataclasses import dataclass

COURSE = "Hugo Larochelle"
COURSE_NOTE = (
    "Lecture from a university course on neural networks, recorded as a series of short videos. "
    "Slides and exercises are on the course page."
)
CLIPS = "JRE Clips"


@dataclass(frozen=True)
class Video:
    id: str
    raw: str
    title: str
    channel: str
    description: str
    published_at: str
    view_count: int
    like_count: int
    style: str
    topic: str | None = None
    kind: str = "learning"
    golden: tuple[float, float] | None = None


VIDEOS: tuple[Video, ...] = (
    # --- training neural networks ---------------------------------------------------------------
    Video(
        "5adNQvSlF50",
        "5adNQvSlF50.srt",
        "Neural networks: training - empirical risk minimization",
        COURSE,
        "How training a network becomes an optimization problem: an average loss plus a regularizer, "
        "and why we optimize a smooth surrogate instead of the error rate. " + COURSE_NOTE,
        "2013-11-15",
        61_204,
        702,
        "auto",
        "nn_training",
        golden=(227.2, 362.8),
    ),
    Video(
        "1N837i4s1T8",
        "1N837i4s1T8.srt",
        "Neural networks: training - output layer gradient",
        COURSE,
        "Deriving the gradient of the negative log-likelihood at the softmax output. " + COURSE_NOTE,
        "2013-11-15",
        23_977,
        311,
        "manual",
        "nn_training",
        golden=(252.8, 347.7),
    ),
    Video(
        "Fs-raHUnF2M",
        "Fs-raHUnF2M.srt",
        "Picking hyperparameters without fooling yourself",
        COURSE,
        "Train / validation / test splits, grid search versus random search, and watching the "
        "validation curve while you train. " + COURSE_NOTE,
        "2013-11-16",
        18_842,
        240,
        "auto",
        "nn_training",
        golden=(366.1, 475.2),
    ),
    # --- restricted Boltzmann machines and deep belief nets -------------------------------------
    Video(
        "wMb7cads0go",
        "wMb7cads0go.srt",
        "Restricted Boltzmann machine - contrastive divergence (parameter update)",
        COURSE,
        "From the negative log-likelihood gradient to a concrete CD-k update for W, b and c. " + COURSE_NOTE,
        "2013-11-21",
        27_510,
        305,
        "auto",
        "rbm",
        golden=(341.7, 448.3),
    ),
    Video(
        "S0kFFiHzR8M",
        "S0kFFiHzR8M.srt",
        "Why CD-1 models are bad at likelihood (and the one-line fix)",
        COURSE,
        "Persistent contrastive divergence: keep the Gibbs chain alive between updates. " + COURSE_NOTE,
        "2013-11-21",
        14_003,
        188,
        "manual",
        "rbm",
        golden=(296.7, 408.7),
    ),
    Video(
        "35MUlYCColk",
        "35MUlYCColk.srt",
        "Deep belief network - variational bound and layer-wise pretraining",
        COURSE,
        "Why stacking RBMs improves a lower bound on the log-likelihood. " + COURSE_NOTE,
        "2013-11-28",
        11_871,
        139,
        "manual",
        "rbm",
        golden=(367.3, 471.8),
    ),
    # --- autoencoders ---------------------------------------------------------------------------
    Video(
        "FzS3tMl4Nsc",
        "FzS3tMl4Nsc.srt",
        "Autoencoder - definition",
        COURSE,
        "A feed-forward network trained to reproduce its input: encoder, decoder and tied weights. " + COURSE_NOTE,
        "2013-11-23",
        35_660,
        402,
        "manual",
        "autoencoders",
        golden=(141.7, 269.5),
    ),
    Video(
        "5rLgoM2Pkso",
        "5rLgoM2Pkso.srt",
        "Bigger hidden layer, worse features?",
        COURSE,
        "Undercomplete versus overcomplete hidden layers and the copying problem. " + COURSE_NOTE,
        "2013-11-23",
        19_420,
        251,
        "auto",
        "autoencoders",
        golden=(176.7, 321.5),
    ),
    Video(
        "79sYlJ8Cvlc",
        "79sYlJ8Cvlc.srt",
        "Autoencoder - contractive autoencoder",
        COURSE,
        "Penalizing the Jacobian of the encoder so features only follow the variations seen in the data. "
        + COURSE_NOTE,
        "2013-11-24",
        16_085,
        207,
        "auto",
        "autoencoders",
        golden=(229.2, 350.8),
    ),
    # --- sparse coding --------------------------------------------------------------------------
    Video(
        "7a0_iEruGoM",
        "7a0_iEruGoM.srt",
        "Sparse coding - definition",
        COURSE,
        "Reconstruct each input from a few dictionary atoms: the L1 trade-off and what the dictionary means. "
        + COURSE_NOTE,
        "2013-12-02",
        29_744,
        366,
        "auto",
        "sparse_coding",
        golden=(466.3, 599.2),
    ),
    Video(
        "UMdNfhgPKTc",
        "UMdNfhgPKTc.srt",
        "Sparse coding - dictionary update with block-coordinate descent",
        COURSE,
        "Closed-form update of one dictionary column at a time, no learning rate needed. " + COURSE_NOTE,
        "2013-12-03",
        9_118,
        121,
        "manual",
        "sparse_coding",
        golden=(522.2, 635.9),
    ),
    Video(
        "eUiwhV1QcQ4",
        "eUiwhV1QcQ4.srt",
        "Before you learn a dictionary, whiten your data",
        COURSE,
        "ZCA preprocessing: remove the mean and the linear correlations so sparse coding finds richer structure. "
        + COURSE_NOTE,
        "2013-12-04",
        12_390,
        160,
        "manual",
        "sparse_coding",
        golden=(58.9, 203.6),
    ),
    Video(
        "FL81zSjAEEg",
        "FL81zSjAEEg.srt",
        "Sparse coding - feature extraction and self-taught learning",
        COURSE,
        "Using sparse codes as features for a classifier, and learning them from other unlabeled data. " + COURSE_NOTE,
        "2013-12-04",
        10_562,
        133,
        "auto",
        "sparse_coding",
        golden=(382.9, 515.9),
    ),
    # --- deep learning: pretraining and dropout -------------------------------------------------
    Video(
        "SXnG-lQ7RJo",
        "SXnG-lQ7RJo.srt",
        "Deep learning - unsupervised pretraining, what the experiments say",
        COURSE,
        "Results on MNIST variations: when layer-wise pretraining helps, and why it behaves like a regularizer. "
        + COURSE_NOTE,
        "2013-11-30",
        17_930,
        226,
        "manual",
        "deep_pretraining",
        golden=(397.2, 513.0),
    ),
    Video(
        "UcKPdAM8cnI",
        "UcKPdAM8cnI.srt",
        "Deep learning - dropout",
        COURSE,
        "Randomly dropping hidden units during training, and what to do at test time. " + COURSE_NOTE,
        "2013-11-30",
        48_315,
        611,
        "auto",
        "deep_pretraining",
        golden=(185.0, 264.6),
    ),
    # --- neural networks for language -----------------------------------------------------------
    Video(
        "PKszi8iogak",
        "PKszi8iogak.srt",
        "Natural language processing - word representations",
        COURSE,
        "From one-hot vectors to learned word vectors trained by backpropagation. " + COURSE_NOTE,
        "2013-12-10",
        38_021,
        455,
        "manual",
        "neural_nlp",
        golden=(283.3, 415.8),
    ),
    Video(
        "B95LTf2rVWM",
        "B95LTf2rVWM.srt",
        "Your softmax has 250,000 outputs. Now what?",
        COURSE,
        "The hierarchical output layer for neural language models: a word's probability as a path in a tree. "
        + COURSE_NOTE,
        "2013-12-11",
        13_370,
        178,
        "auto",
        "neural_nlp",
        golden=(162.8, 247.9),
    ),
    Video(
        "6jCDUQ-e-fY",
        "6jCDUQ-e-fY.srt",
        "Natural language processing - convolutional network for word tagging",
        COURSE,
        "A convolution over the whole sentence, max pooling, and position features to tag each word. " + COURSE_NOTE,
        "2013-12-12",
        9_702,
        117,
        "manual",
        "neural_nlp",
        golden=(438.8, 558.0),
    ),
    Video(
        "AqEF2HIMjYA",
        "AqEF2HIMjYA.srt",
        "Natural language processing - recursive network",
        COURSE,
        "Merging word vectors up a parse tree to get a vector for a whole phrase. " + COURSE_NOTE,
        "2013-12-13",
        8_455,
        96,
        "auto",
        "neural_nlp",
        golden=(236.9, 324.8),
    ),
    # --- entertainment and podcast chatter ------------------------------------------------------
    Video(
        "-2gqf_jMHRA",
        "-2gqf_jMHRA.srt",
        "Joe Rogan on Comedians Stealing Jokes",
        CLIPS,
        "Taken from The Joe Rogan Experience. Parallel thinking versus stealing, and writing 2000 words for one line.",
        "2019-04-30",
        1_204_877,
        21_455,
        "manual",
        kind="entertainment",
    ),
    Video(
        "0KPKHJ0WXz0",
        "0KPKHJ0WXz0.srt",
        "Joe Rogan: Conor vs Cowboy or Conor vs Tony?? (Eddie Bravo breaks it down)",
        CLIPS,
        "Taken from JRE MMA Show. Pettis, Wonderboy, Ferguson, Khabib and who Conor should fight next.",
        "2019-03-28",
        688_104,
        9_870,
        "auto",
        kind="entertainment",
    ),
    Video(
        "1OXI17ye9Gw",
        "1OXI17ye9Gw.srt",
        "Are We Raising Kids Too Soft? | Joe Rogan",
        CLIPS,
        "Taken from The Joe Rogan Experience. Peanut allergies, playground monitors and letting kids get knocked over.",
        "2018-09-20",
        2_310_556,
        38_210,
        "auto",
        kind="entertainment",
    ),
    Video(
        "0hrHBJxDDF8",
        "0hrHBJxDDF8.srt",
        "Killer Mike Reveals How Trigger Warning Got Made",
        CLIPS,
        "Taken from The Joe Rogan Experience. Barbershop arguments, Netflix, and ten years of pitching one idea.",
        "2019-02-14",
        512_039,
        8_904,
        "manual",
        kind="entertainment",
    ),
    Video(
        "1D5021KBsqs",
        "1D5021KBsqs.srt",
        "Alex Jones Says the Government Is TALKING TO ALIENS on DMT?!",
        CLIPS,
        "Taken from The Joe Rogan Experience. Breakaway agencies, ayahuasca and interdimensional beings.",
        "2019-03-01",
        4_890_112,
        71_003,
        "auto",
        kind="entertainment",
    ),
    Video(
        "0QXlb8FthGU",
        "0QXlb8FthGU.srt",
        "Joe Rogan's First Car Died After ONE DAY",
        CLIPS,
        "Taken from The Joe Rogan Experience. A 1973 Chevelle, hydroplaning, and fake Ferraris.",
        "2019-05-02",
        903_557,
        14_220,
        "manual",
        kind="entertainment",
    ),
    Video(
        "1WPb5J6G_nM",
        "1WPb5J6G_nM.srt",
        "UFC Champ on Fighting With a Double Hernia",
        CLIPS,
        "Taken from The Joe Rogan Experience. Weight cuts, five knee surgeries and the prayer before the cage.",
        "2019-05-09",
        377_940,
        6_115,
        "manual",
        kind="entertainment",
    ),
)
