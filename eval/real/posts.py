"""Topics and personas of the real-caption evaluation set, with every post written by hand.

Posts read like people's timelines: short, first person, opinions and questions, replies,
retweets, quotes, links and likes, a good share of life outside work. They talk about the ideas
of a topic and rarely name it. None repeats a video (the build checks for shared 5-word runs).
Current interests have posts in the two months before the archive date; a stale one has posts
only from two or more years before it.
"""

from __future__ import annotations

from records import Persona, Post, like

GENERATED_AT = "2026-11-20T07:41:12.000Z"

TOPICS: dict[str, dict[str, object]] = {
    # Aliases are names a person would accept for the topic. An alias that holds a generic word
    # (network, word, model, learning) is long enough that the generic word alone does not match it.
    "nn_training": {
        "name": "Training neural networks",
        "aliases": [
            "Training neural networks with gradient descent",
            "backpropagation",
            "gradient descent",
            "stochastic gradient descent",
            "hyperparameter search and model selection",
            "loss functions and their gradients",
        ],
    },
    "rbm": {
        "name": "Restricted Boltzmann machines",
        "aliases": [
            "Restricted Boltzmann machines",
            "Boltzmann machines",
            "RBMs",
            "contrastive divergence",
            "deep belief nets",
            "energy-based models and Gibbs sampling",
        ],
    },
    "autoencoders": {
        "name": "Autoencoders",
        "aliases": [
            "Autoencoders",
            "autoencoder",
            "denoising and contractive autoencoders",
            "encoder and decoder networks that reconstruct their input",
        ],
    },
    "sparse_coding": {
        "name": "Sparse coding",
        "aliases": ["Sparse coding", "dictionary learning", "sparse dictionary learning", "sparse codes"],
    },
    "deep_pretraining": {
        "name": "Deep learning: pretraining and dropout",
        "aliases": [
            "Deep learning",
            "unsupervised pretraining",
            "layer-wise pretraining",
            "pretraining and fine-tuning",
            "dropout",
            "regularizing deep networks with dropout and pretraining",
        ],
    },
    "neural_nlp": {
        "name": "Neural networks for language",
        "aliases": [
            "Neural networks for natural language",
            "neural NLP",
            "NLP",
            "word embeddings and language models",
            "neural language models",
            "natural language processing",
        ],
    },
    "crf": {
        "name": "Conditional random fields",
        "aliases": ["Conditional random fields", "CRFs", "structured prediction with graphical models"],
    },
    "vision": {
        "name": "Convolutional networks for vision",
        "aliases": ["Convolutional networks for computer vision", "convnets", "computer vision", "object recognition"],
    },
}


MAYA = Persona(
    name="maya",
    email="maya.okafor@example.org",
    username="maya_spikes",
    display_name="Maya Okafor",
    account_id="1158402967310094",
    created_at="2015-09-03T10:12:44.000Z",
    seed=11,
    instructions="",
    relevant=("sparse_coding", "autoencoders", "rbm"),
    stale=("neural_nlp",),
    excluded=(),
    posts=(
        Post(
            "2026-11-19 21:14",
            "ok the learned atoms on my natural image patches finally look like little oriented "
            "edges. V1 textbook figure, except I made it. unreasonably happy",
        ),
        Post("2026-11-19 08:02", "cycling in at 6 degrees this morning. my hands are still not back online"),
        Post(
            "2026-11-18 17:40",
            "Hot take: the L1 penalty is doing 90% of the interesting work and everyone credits the dictionary",
        ),
        Post(
            "2026-11-18 17:52",
            "@tomas_codes right?? you can watch codes go exactly to zero one by one as you crank "
            "lambda up, it's almost theatrical",
            reply_to="tomas_codes",
        ),
        Post(
            "2026-11-17 12:30",
            "If my reconstruction is great but every hidden unit is on, did I learn anything? "
            "(asking my thesis committee, who will ask me)",
        ),
        like(
            "2026-11-17 09:11",
            "PSA: subtract the mean and decorrelate your patches before learning features. "
            "Otherwise half your filters just learn the DC component and the slow gradients.",
        ),
        Post(
            "2026-11-16 22:05",
            "whitened the patches first and the dictionary went from blurry blobs to crisp "
            "gabors. should have done that two weeks ago",
        ),
        Post("2026-11-16 13:20", "sourdough attempt #4. the crumb is... a crumb", lang="en"),
        Post(
            "2026-11-15 19:44",
            "Updating one column of the dictionary at a time with a closed form and no step "
            "size to babysit. why did nobody tell me about this in first year",
        ),
        Post(
            "2026-11-15 19:47",
            "the trick is caching two summary matrices over the whole dataset once, then every column update is cheap",
        ),
        like("2026-11-14 16:03", None),
        Post(
            "2026-11-14 11:18",
            "RT @neuro_lena: Reminder that receptive fields in early visual cortex were "
            "explained by a sparseness objective back in 1996 and it still holds up",
        ),
        Post(
            "2026-11-13 20:31",
            "can someone explain why my autoencoder with 4x more hidden units than pixels "
            "just... copies the image. like literally routes each pixel through",
        ),
        Post(
            "2026-11-13 20:58",
            "@ivan_dl oh. OH. so a big enough middle layer has no reason to compress "
            "anything. it's a very expensive identity function",
            reply_to="ivan_dl",
        ),
        Post(
            "2026-11-12 09:40",
            "Reading group tomorrow: penalising how much the hidden layer moves when you "
            "nudge the input. I like that it says out loud what we want features to ignore",
        ),
        Post("2026-11-11 18:10", "lab retreat photos are out and I am blinking in all of them 🙃"),
        Post(
            "2026-11-10 14:22",
            "my code spends 80% of its time inferring the sparse codes and 20% learning the "
            "dictionary. is that normal or am I doing something silly",
        ),
        like(
            "2026-11-10 08:55",
            "Tied weights in an autoencoder = decoder weights = encoder weights flipped. Halves "
            "the parameters and it's weirdly close to what an RBM does.",
        ),
        Post(
            "2026-11-09 16:45", "Eek, reviewer 2 wants 'comparisons with modern methods'. it's a biology paper, Kevin"
        ),
        Post(
            "2026-11-08 10:12",
            "weekend plan: ride to the lake, eat a cinnamon bun, not open my laptop. (narrator: she opened the laptop)",
        ),
        Post(
            "2026-11-07 21:30",
            "Sampling chains for my energy model keep getting stuck near the data. "
            "starting every chain at a training example feels like cheating and apparently it is",
        ),
        Post(
            "2026-11-07 21:41",
            "solution according to @ivan_dl: don't restart the chains. carry the fantasy "
            "particles over from the last update. ok trying it",
        ),
        Post("2026-11-06 15:02", "🚲🚲🚲", lang="und"),
        Post(
            "2026-11-05 11:27",
            "positive phase pushes energy down where the data is, negative phase pushes it up "
            "where the model is dreaming. explaining it this way to undergrads worked great today",
        ),
        like(
            "2026-11-04 19:15",
            "k=1 Gibbs step gives nice features but a terrible density model. both of these "
            "things are true and people argue past each other about it constantly",
        ),
        Post(
            "2026-11-03 08:40",
            "Visualising hidden units as images again. there is a stroke detector in there "
            "that looks exactly like my handwriting",
            link="https://mayaokafor.net/notes/filters",
        ),
        Post("2026-11-02 17:33", "does anyone else's cat sit exactly on the one warm spot of the laptop 🐈"),
        Post(
            "2026-10-30 12:05",
            "Question for people who stack these things: if you train the second layer on "
            "samples of the first layer's hidden units, what exactly are you improving? a bound? which bound?",
        ),
        Post(
            "2026-10-28 09:14",
            "@prof_harlow I'd love the slides from today, the part on the variational bound went by fast",
            reply_to="prof_harlow",
        ),
        like(
            "2026-10-25 22:01",
            "Denoising vs contractive: one adds noise and asks for the clean input back, the "
            "other punishes sensitivity directly. Same goal, different knob.",
        ),
        Post("2026-10-22 18:48", "Taught myself to make dal properly this week and I will not be taking questions"),
        Post(
            "2026-10-18 13:10",
            "the undercomplete version learns something real, the overcomplete one needs noise "
            "or a penalty to stop cheating. noted for the lit review",
        ),
        Post(
            "2026-10-12 10:30",
            "Thinking about features learned from a pile of unlabeled natural images and then "
            "used on a totally different small labelled set. transfer without calling it transfer",
            quote="andrew_notes",
        ),
        Post("2026-10-05 16:16", "new bike light arrived, I am now visible from space"),
        Post(
            "2026-09-29 14:02",
            "atoms as a vocabulary: each image patch 'says' only a handful of words. that "
            "framing finally clicked for me",
        ),
        Post(
            "2023-06-14 20:11",
            "trying to get word vectors to put 'monday' near 'tuesday' and it keeps putting it "
            "near 'ugh'. honestly relatable",
        ),
        Post(
            "2023-06-02 09:33",
            "Backprop into the embedding table itself is such a nice idea. the lookup is "
            "just a matrix times a one-hot vector, so gradients flow right into it",
        ),
        Post(
            "2023-05-20 17:05",
            "my language model's softmax over the whole vocab is the slowest part of "
            "everything. there has to be a better way than normalising over 100k words",
        ),
        like(
            "2023-05-19 11:42",
            "Put your vocabulary in a balanced binary tree and predicting a word costs log(V) "
            "yes/no decisions instead of V. Old trick, still great.",
        ),
        Post(
            "2022-11-08 15:30",
            "semantic role labelling is humbling. the word that decides the role can be anywhere in the sentence",
        ),
        Post(
            "2022-10-21 12:12",
            "composing phrase vectors by following the parse tree bottom-up is so elegant I "
            "forgive it for needing a parser",
        ),
        Post("2022-10-01 08:45", "lol", lang="en"),
    ),
)

THEO = Persona(
    name="theo",
    email="theo.brandt@example.net",
    username="theo_ships_models",
    display_name="Theo Brandt",
    account_id="1470925510338211",
    created_at="2018-02-11T19:40:02.000Z",
    seed=23,
    instructions="Please give Boltzmann machines a rest for a few weeks, I've had my fill of them lately.",
    relevant=("nn_training", "deep_pretraining", "neural_nlp", "autoencoders"),
    stale=("sparse_coding",),
    excluded=("rbm",),
    posts=(
        Post(
            "2026-11-18 23:25",
            "loss sat dead flat for three epochs, I had my finger on ctrl-c, and then it fell off a cliff. "
            "how do you tell 'stuck forever' from 'about to move' without just waiting",
        ),
        Post(
            "2026-11-18 23:29",
            "reran with seed 7 instead of 42 and the decision boundary is visibly a different shape. "
            "same data, same net. fun",
            reply_to="theo_ships_models",
        ),
        Post(
            "2026-11-19 22:40",
            "Random search beat my carefully hand-tuned grid again. I'm starting to take it personally",
        ),
        Post(
            "2026-11-19 22:46",
            "the argument I buy: most hyperparameters barely matter, so a grid wastes most of "
            "its budget re-testing the useless axis. random points don't",
        ),
        Post(
            "2026-11-18 23:05",
            "Our anomaly detector is just a net squeezed through a 16-number bottleneck and asked to redraw its "
            "input. When it can't redraw something well, that's the alert. Dumb, cheap, works",
        ),
        Post(
            "2026-11-12 08:40",
            "@rivka_ml we tied the decoder to the encoder's transpose and lost nothing on recall. half the weights, "
            "same alerts",
            reply_to="rivka_ml",
        ),
        like(
            "2026-11-04 12:30",
            "If your code layer is wider than the input, the net can just learn to pass pixels straight through. "
            "Squeeze it, add noise, or penalise it.",
        ),
        Post("2026-11-19 07:15", "toddler woke up at 4:50 so I got a lot of reading done. silver linings"),
        Post(
            "2026-11-18 18:20",
            "Hot take: if you tuned anything on the test set, you don't have a test set, you "
            "have a second validation set and a story",
        ),
        Post(
            "2026-11-18 12:02",
            "@rivka_ml yep. I keep a frozen split nobody on the team is allowed to touch until the writeup",
            reply_to="rivka_ml",
        ),
        like(
            "2026-11-17 21:33",
            "Validation loss goes down, flattens, then creeps up while training loss keeps "
            "falling. That bend is your early stopping point. Save the weights there.",
        ),
        Post("2026-11-17 09:30", "ran 8k this morning in the fog, felt like a movie. a very slow movie"),
        Post(
            "2026-11-16 20:14",
            "Deriving the softmax + cross-entropy gradient by hand for the new hires and it "
            "still delights me that the whole mess collapses to predicted minus true",
        ),
        Post("2026-11-16 20:19", "(yes you can just trust autograd. no, you should do it once on paper)"),
        Post(
            "2026-11-15 15:40",
            "Why do we minimise cross-entropy when what we report is accuracy? because "
            "accuracy is a staircase and you can't follow the slope of a staircase",
        ),
        like("2026-11-15 10:05", None),
        Post(
            "2026-11-14 22:10",
            "Turning off half the hidden units at random every step shouldn't work this well. "
            "it feels like training an ensemble of a zillion thinned nets for free",
        ),
        Post(
            "2026-11-14 22:18",
            "and at inference you just scale by the keep probability. that part always felt like a magic trick to me",
            quote="gal_dropout_fan",
        ),
        Post(
            "2026-11-13 13:01",
            "Neurons that can't count on their neighbours showing up learn features that are "
            "useful on their own. that's the explanation I'll use in the talk",
        ),
        Post("2026-11-12 19:22", "made lasagne with my daughter. she did the cheese. all of the cheese"),
        Post(
            "2026-11-11 11:45",
            "Curious how many people still pretrain layer by layer before fine tuning. in our "
            "small-data setting it honestly still helps",
        ),
        Post(
            "2026-11-11 11:52",
            "@rivka_ml with tiny networks it hurt for us too! only once the model got big did "
            "the pretrained one pull ahead. acts like a regulariser",
            reply_to="rivka_ml",
        ),
        like(
            "2026-11-10 17:40",
            "Unsupervised pretraining helps most when the network is big and labelled data is "
            "small. With few units it underfits. Classic regulariser behaviour.",
        ),
        Post("2026-11-09 08:50", "Sunday, no laptop, two coffees, one dog walk. this is the whole plan"),
        Post(
            "2026-11-08 16:27",
            "our vocab is 250k tokens and the output layer is eating the GPU alive. anyone "
            "tried a tree-structured output again in 2026? asking unironically",
        ),
        Post(
            "2026-11-08 16:35",
            "log2(250k) ≈ 18 binary decisions instead of a quarter million logits. the math is so tempting",
        ),
        Post(
            "2026-11-07 12:12",
            "RT @nlp_nadia: Word vectors are just rows of a weight matrix that you update "
            "with the same gradient step as everything else. Nothing mystical.",
        ),
        Post(
            "2026-11-06 09:05",
            "The old tagging papers that ran a convolution across an entire sentence, max "
            "pooled it, are so clean. feed in where the target word sits as an extra feature and done",
        ),
        Post("2026-11-05 20:30", "why does every meeting invite now come with a pre-meeting invite"),
        Post(
            "2026-11-04 14:44",
            "Re-read how to build a vector for a whole phrase by combining two children at a "
            "time up the syntax tree. I miss when models came with trees",
        ),
        like(
            "2026-11-03 10:10",
            "Relative position to the target word as an input feature is underrated. Lets a "
            "max-pooled conv net know which word it's supposed to be tagging.",
        ),
        Post(
            "2026-11-02 18:55",
            "Kinda wild that one-hot vectors make every pair of words equally far apart. "
            "cat and dog as distant as cat and tuesday",
        ),
        Post("2026-11-01 09:20", "pumpkin bread came out great, the kitchen did not"),
        Post(
            "2026-10-29 21:15",
            "ok I've now spent three weeks on contrastive divergence for the side project and "
            "I need a break from energy functions before I start dreaming in Gibbs steps",
        ),
        Post(
            "2026-10-27 22:02",
            "persistent chains fixed my likelihood numbers. also made me want to never see another fantasy particle",
        ),
        like("2026-10-25 13:13", "Stacking RBMs greedily and then fine-tuning: an idea that refuses to fully die."),
        Post(
            "2026-10-20 07:40",
            "the positive/negative phase picture for energy models is nice but my patience "
            "for debugging samplers is gone",
        ),
        Post("2026-10-14 19:00", "first frost on the car 🥶", lang="en"),
        Post(
            "2026-10-08 11:31",
            "¿alguien tiene una buena charla sobre optimización para principiantes? para mi hermana",
            lang="es",
        ),
        Post(
            "2026-10-02 15:15",
            "Ablations done. Loss surrogate matters more than the optimizer in our setup, "
            "which nobody on the team predicted",
        ),
        Post(
            "2023-03-09 18:22",
            "whitening the inputs before learning a dictionary made the atoms look like actual "
            "edges. small preprocessing, huge difference",
        ),
        Post(
            "2023-02-14 10:04",
            "inferring the codes with an L1 penalty per example is slow, but the features are so interpretable",
        ),
        like(
            "2023-02-01 16:50",
            "Self-taught learning: learn features from lots of unlabeled data of a different "
            "kind, then train on your tiny labelled set.",
        ),
        Post(
            "2022-12-12 12:00",
            "spent the weekend learning a dictionary on handwritten digits and every atom is a pen stroke. delightful",
        ),
    ),
)

PRIYA = Persona(
    name="priya",
    email="priya.raman@example.com",
    username="priya_learns_ml",
    display_name="Priya Raman",
    account_id="1622087301459981",
    created_at="2021-06-27T08:03:51.000Z",
    seed=37,
    instructions=(
        "I'm just getting started with machine learning, so beginner-friendly videos please: intuition first, "
        "no heavy proofs."
    ),
    relevant=("nn_training", "autoencoders", "neural_nlp"),
    stale=("rbm",),
    excluded=(),
    posts=(
        Post(
            "2026-11-17 19:40",
            "so there are two flavours of weight penalty: squares vs absolute values. apparently the absolute "
            "one drives lots of weights to literally 0?? why would squaring not do that too",
        ),
        Post(
            "2026-11-17 19:52",
            "ok I think I get it: near zero a square barely pushes at all, the absolute value keeps pushing "
            "just as hard. so it snips connections. neat",
            reply_to="priya_learns_ml",
        ),
        Post(
            "2026-11-13 21:15",
            "if a model has seen 'my dog is sleeping' but never 'my cat is sleeping', can it still guess "
            "the second one? apparently yes if cat and dog end up as similar vectors. that's kind of magic",
        ),
        Post(
            "2026-11-19 20:30",
            "Day 41 of learning ML after 9 years of teaching French. today: why do we need a "
            "'loss' at all? can't the network just... be right",
        ),
        Post(
            "2026-11-19 20:41",
            "ok so accuracy is flat almost everywhere, so there's no direction to walk in. you "
            "need a smooth stand-in you can actually go downhill on. that helps",
        ),
        Post("2026-11-18 16:10", "My monstera has a new leaf and I've named it Gradient"),
        Post(
            "2026-11-18 09:25",
            "Question for the nice ML people: what is the extra term you add to the loss to "
            "keep weights small, and how do you pick how strong it is?",
        ),
        Post(
            "2026-11-18 09:58",
            "@tomas_codes thank you!! so lambda is just a knob between 'fit the data' and "
            "'stay simple'. and you pick it on held-out data",
            reply_to="tomas_codes",
        ),
        like(
            "2026-11-17 14:20",
            "Beginner tip: keep a validation set and never look at the test set until the "
            "very end. Your future self will thank you.",
        ),
        Post("2026-11-17 08:05", "the cat knocked my coffee onto my notes on backprop, which is honestly fair"),
        Post(
            "2026-11-16 19:12",
            "So an autoencoder is a network whose job is to copy its input... through a "
            "narrow middle. the narrow bit is the point?? I love this",
        ),
        Post(
            "2026-11-16 19:20",
            "so it's like summarising a book in 10 words and then rewriting the book from the "
            "summary. you learn what matters",
        ),
        Post(
            "2026-11-15 13:33",
            "what happens if the middle part isn't narrow? does it just cheat and copy "
            "everything through? (I suspect yes)",
        ),
        like(
            "2026-11-15 13:50",
            "Yes! With a wide hidden layer it can just learn to pass each pixel straight "
            "through. You need noise or a penalty to force it to learn something.",
        ),
        Post("2026-11-14 21:00", "French class reunion tonight, everyone asked if I'm 'doing robots now'. sort of?"),
        Post(
            "2026-11-13 18:44",
            "Today I learned computers don't see words, they see numbers, and the first idea is "
            "a vector with a single 1 in it. which means every word is equally different from every other word??",
        ),
        Post(
            "2026-11-13 19:05",
            "and the fix is to let the network learn its own little list of numbers for each "
            "word during training. 'king' ends up near 'queen'. my linguist heart is full",
        ),
        Post(
            "2026-11-12 10:10",
            "RT @ml_for_humans: An encoder squeezes, a decoder un-squeezes. That's the whole picture to start with.",
        ),
        Post(
            "2026-11-11 20:20",
            "Can someone recommend a gentle video on how networks actually learn? everything I "
            "find starts with three pages of partial derivatives 😭",
        ),
        Post(
            "2026-11-11 20:35",
            "@ivan_dl the 'walk downhill in small steps' picture is exactly what I needed, thank you",
            reply_to="ivan_dl",
        ),
        like("2026-11-10 12:00", None),
        Post("2026-11-09 15:45", "Made my grandmother's rasam and the whole building knows about it"),
        Post(
            "2026-11-08 11:11",
            "why do they use the same weights going in and coming back out of the middle layer "
            "in some of these? fewer things to learn?",
        ),
        Post(
            "2026-11-07 16:30",
            "The softmax thing clicked: turn scores into probabilities that add up to 1, then "
            "punish the network for not putting enough on the right answer",
        ),
        Post(
            "2026-11-06 09:40",
            "not me rewatching the same 10 minutes of a lecture four times. learning is humbling",
            link="https://priyalearns.dev/log/day-28",
        ),
        Post(
            "2026-11-05 19:05",
            "so how does a network that sees one word at a time know the grammar of a whole "
            "sentence? feels like it would need to see the tree",
            quote="nlp_nadia",
        ),
        Post(
            "2026-11-04 08:00",
            "walked to the bakery in the rain because my bootcamp friend said croissants help "
            "with matrices. she was right",
        ),
        Post(
            "2026-11-03 20:12",
            "Grid search vs random search for picking settings, explained to me with a pizza "
            "topping analogy and now I can't unsee it 🍕",
        ),
        like(
            "2026-11-02 18:18",
            "Picking the vocabulary's next word with a giant softmax is expensive. Some models "
            "split the choice into a chain of left/right decisions instead.",
        ),
        Post("2026-10-31 22:22", "Halloween costume: 'overfitting'. I wore every costume I own at once"),
        Post(
            "2026-10-27 14:40",
            "noisy input, clean output: you corrupt the picture on purpose and ask the network "
            "to fix it. that's such a teacher move",
        ),
        Post("2026-10-20 10:50", "tiny win: my first network trained and the loss went down!! it went down!!"),
        Post("2026-10-12 17:30", "ich übe immer noch mein Deutsch, aber heute lieber Python", lang="de"),
        Post("2026-10-03 12:25", "Signed up for the evening ML course. Terrified. Excited. Mostly terrified"),
        Post(
            "2024-03-18 21:05",
            "A friend tried to explain Boltzmann machines to me at a party and I nodded like I "
            "understood the 'energy' part. I did not",
        ),
        Post(
            "2024-02-27 09:45",
            "apparently there's a network with visible and hidden units that only connect "
            "across the two layers, never within. why is that the restricted part?",
        ),
        like(
            "2024-02-20 13:30",
            "RBM training in one sentence: lower the energy of real data, raise the energy of what the model makes up.",
        ),
        Post(
            "2023-11-11 16:00",
            "still thinking about the 'dreaming' phase of those energy models. the network "
            "daydreams and you correct the daydream",
        ),
    ),
)

JONAS = Persona(
    name="jonas",
    email="jonas.weber@example.de",
    username="jonas_reimplements",
    display_name="Jonas Weber",
    account_id="1310573358220457",
    created_at="2016-04-30T16:22:10.000Z",
    seed=53,
    instructions="",
    relevant=("deep_pretraining", "sparse_coding", "rbm"),
    stale=("autoencoders",),
    excluded=(),
    posts=(
        Post("2026-11-19 23:10", "Reimplementing a 2009 paper on a laptop from 2019. the paper is winning"),
        Post(
            "2026-11-19 23:25",
            "greedy layer-wise: train layer 1 unsupervised, freeze, push the data through it, "
            "train layer 2 on that, repeat. then fine-tune everything with labels. works, still",
        ),
        Post("2026-11-18 20:04", "Hertha lost again. I'm going back to my Gibbs sampler, it disappoints me less"),
        Post(
            "2026-11-18 11:40",
            "the fact that pretraining hurts small nets and helps big ones is the most "
            "convincing evidence it's a regulariser and not just better optimisation",
        ),
        like(
            "2026-11-17 19:02",
            "When the pretrained and randomly initialised test-error curves cross as you add "
            "hidden units, that's the regularisation story in one plot.",
        ),
        Post("2026-11-17 08:30", "Coffee, modular synth, then code. in that order or nothing works"),
        Post(
            "2026-11-16 22:15", "dropout at p=0.5 and my overfitting problem just… left? what else have I been ignoring"
        ),
        Post(
            "2026-11-16 22:20",
            "@rivka_ml training is slower, yes. I'll take slower and honest over fast and memorised",
            reply_to="rivka_ml",
        ),
        Post(
            "2026-11-15 14:14",
            "Question: is the test-time trick (multiply activations by the keep prob) exactly "
            "an average over all thinned networks, or only approximately? for more than one hidden layer I mean",
        ),
        like(
            "2026-11-15 15:00",
            "Exactly a geometric mean for a single hidden layer, an approximation for deeper ones. Works anyway.",
        ),
        Post(
            "2026-11-14 18:50",
            "Dictionary learned on MNIST digits, features tested on handwritten letters. "
            "letters never seen during dictionary learning. accuracy still up. I love this",
        ),
        Post(
            "2026-11-13 10:30",
            "block coordinate descent on the dictionary columns is my new favourite thing. no "
            "learning rate means one less thing for me to get wrong at midnight",
        ),
        Post(
            "2026-11-13 10:37",
            "(you still renormalise each column to unit length after the update or the L1 term just gets cheated)",
        ),
        Post(
            "2026-11-12 21:00",
            "new patch on the synth sounds like a dial-up modem falling down stairs. keeping it",
            link="https://soundcloud.com/jonas-w/modem-stairs",
        ),
        Post(
            "2026-11-11 12:12",
            "RT @sparse_sam: An input = a few dictionary atoms added up. Most coefficients "
            "exactly zero. That's the whole model, the rest is optimisation.",
        ),
        Post(
            "2026-11-10 09:09",
            "preprocess: zero mean, identity covariance. otherwise the first few atoms just "
            "explain the boring second-order stuff",
        ),
        Post("2026-11-09 17:45", "Sunday bike ride along the Spree, 40 km, one flat tire, zero regrets"),
        Post(
            "2026-11-08 20:20",
            "CD-1 vs CD-10 on my tiny RBM: features almost the same, likelihood way better "
            "with more steps. so which one is 'better' depends on what you wanted",
        ),
        Post(
            "2026-11-08 20:31",
            "keeping the Gibbs chains alive across updates instead of restarting at the data "
            "point: one line change, big likelihood jump. why is this not the default everywhere",
        ),
        like("2026-11-07 12:44", None),
        Post(
            "2026-11-06 16:16",
            "The update is literally data statistics minus model statistics. h(x) x^T at the "
            "example minus the same thing at the sample. I wrote it on a post-it",
        ),
        Post("2026-11-05 11:05", "Heute Abend Stammtisch, morgen wieder Matrizen. So ist das Leben", lang="de"),
        Post(
            "2026-11-04 22:48",
            "why does stacking a second RBM on top improve anything? answer I got: it pushes up "
            "a bound under the data likelihood, as long as you start it from the first layer's weights. need "
            "to see the derivation",
            quote="prof_harlow",
        ),
        Post(
            "2026-11-03 13:13",
            "The 'sample the hidden layer, train the next one on those samples' step is so "
            "simple once you see it as fitting the prior over the hidden units",
        ),
        Post("2026-11-02 10:00", "🎛️🎛️", lang="und"),
        Post(
            "2026-10-29 19:19",
            "half the fun of old papers is the experiments on rotated digits with random "
            "backgrounds. someone had to build those",
        ),
        Post(
            "2026-10-22 08:55",
            "Is anyone still doing unsupervised pretraining for conv nets on patches? curious "
            "if random filters really are that competitive",
        ),
        Post("2026-10-15 21:40", "bread, cheese, pickles, a documentary about the Berlin wall. perfect evening"),
        Post("2026-10-06 12:34", "my sparse codes: 95% zeros. my inbox: 0% zeros"),
        Post(
            "2026-09-30 18:00",
            "Finished the energy-based models chapter. positive phase down, negative phase up, "
            "my brain somewhere in the middle",
        ),
        Post(
            "2024-05-21 19:30",
            "undercomplete hidden layer = forced compression. overcomplete = it'll happily "
            "learn the identity. learnt that the hard way this week",
        ),
        Post(
            "2024-04-09 10:20",
            "adding a penalty on the encoder's Jacobian so the code doesn't flinch at tiny "
            "input changes. elegant, but computing it by hand is a nightmare",
        ),
        like(
            "2024-03-30 15:45",
            "Corrupt the input, reconstruct the clean one. The denoising trick makes overcomplete codes useful.",
        ),
        Post(
            "2023-08-17 09:00",
            "tied encoder/decoder weights: fewer parameters, and the filters you visualise "
            "are the same ones doing the reconstruction",
        ),
        Post("2023-08-02 21:45", "first reconstruction from my own encoder-decoder net. blurry but unmistakably a 7"),
    ),
)

PERSONAS: tuple[Persona, ...] = (MAYA, THEO, PRIYA, JONAS)
