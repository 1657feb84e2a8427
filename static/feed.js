/* The clip feed: one clip per screen, a player only on the visible card and its
 * neighbours, keyboard shortcuts, and the small bits of state htmx swaps leave behind.
 *
 * The YouTube IFrame Player API is loaded the first time a card is shown, from the
 * URL in the feed's data-player-api (YouTube, or a local stub in tests). The card in
 * view plays muted from the clip start; the player stops at the clip end.
 */
(function () {
  "use strict";

  var feed = document.getElementById("feed");
  if (!feed) return;

  var STATE = { ENDED: 0, PLAYING: 1, PAUSED: 2 };
  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  var help = document.getElementById("keys-help");
  var players = new Map(); // card -> {player, ready, played, timer}
  var ratios = new Map(); // snap item -> share of the screen it covers
  var active = null;
  var api = "idle"; // idle | loading | ready | failed
  var onApiReady = [];
  var resumeOnShow = false;

  function items() {
    return Array.prototype.slice.call(feed.querySelectorAll(".clip:not(.is-collapsed), .feed-end"));
  }

  function isVideoCard(el) {
    return !!el && el.classList.contains("clip") && !!el.dataset.videoId;
  }

  function clipBounds(card) {
    return { start: Number(card.dataset.start) || 0, end: Number(card.dataset.end) || 0 };
  }

  /* --- the player API, loaded once, on first use --- */

  function whenApiReady(callback) {
    if (api === "ready") return callback();
    if (api === "failed") return;
    onApiReady.push(callback);
    if (api === "loading") return;
    api = "loading";
    var previous = window.onYouTubeIframeAPIReady;
    window.onYouTubeIframeAPIReady = function () {
      if (typeof previous === "function") previous();
      api = "ready";
      onApiReady.splice(0).forEach(function (fn) { fn(); });
    };
    var script = document.createElement("script");
    script.src = feed.dataset.playerApi;
    script.async = true;
    script.onerror = function () {
      api = "failed";
      feed.classList.add("player-unavailable");
    };
    document.head.appendChild(script);
  }

  /* --- players on the active card and its neighbours --- */

  function mount(card) {
    if (players.has(card)) return;
    var slot = card.querySelector(".clip-player");
    var target = document.createElement("div");
    slot.replaceChildren(target);
    var bounds = clipBounds(card);
    var state = { player: null, ready: false, played: false, timer: 0 };
    players.set(card, state);
    state.player = new window.YT.Player(target, {
      host: "https://www.youtube-nocookie.com",
      videoId: card.dataset.videoId,
      width: "100%",
      height: "100%",
      playerVars: {
        start: bounds.start,
        end: bounds.end,
        mute: 1,
        playsinline: 1,
        rel: 0,
        autoplay: 0,
        iv_load_policy: 3,
        origin: window.location.origin,
      },
      events: {
        onReady: function () {
          state.ready = true;
          card.classList.add("has-player");
          if (card === active) play(card);
        },
        onStateChange: function (event) { stateChanged(card, event.data); },
      },
    });
  }

  function unmount(card) {
    var state = players.get(card);
    if (!state) return;
    window.clearInterval(state.timer);
    try { state.player.destroy(); } catch (e) { /* a player that never loaded */ }
    players.delete(card);
    var slot = card.querySelector(".clip-player");
    if (slot) slot.replaceChildren();
    card.classList.remove("has-player", "is-playing", "is-ended");
  }

  /* From the clip start, muted. */
  function play(card) {
    var state = players.get(card);
    if (!state || !state.ready) return;
    var player = state.player;
    player.mute();
    if (state.played || card.classList.contains("is-ended")) player.seekTo(clipBounds(card).start, true);
    card.classList.remove("is-ended");
    state.played = true;
    player.playVideo();
  }

  function pause(card) {
    var state = players.get(card);
    if (state && state.ready) state.player.pauseVideo();
  }

  function togglePlay(card) {
    var state = players.get(card);
    if (!state || !state.ready) return;
    if (state.player.getPlayerState() === STATE.PLAYING) pause(card);
    else if (!state.played || card.classList.contains("is-ended")) play(card);
    else state.player.playVideo();
  }

  function stateChanged(card, value) {
    var state = players.get(card);
    if (!state) return;
    card.classList.toggle("is-playing", value === STATE.PLAYING);
    window.clearInterval(state.timer);
    if (value === STATE.PLAYING) {
      state.timer = window.setInterval(function () { tick(card); }, 250);
    } else if (value === STATE.ENDED) {
      card.classList.add("is-ended");
      setProgress(card, 1);
    }
  }

  /* The progress of the clip (not of the video); past the clip end the player is stopped. */
  function tick(card) {
    var state = players.get(card);
    if (!state || !state.ready) return;
    var bounds = clipBounds(card);
    var now = state.player.getCurrentTime();
    setProgress(card, (now - bounds.start) / Math.max(1, bounds.end - bounds.start));
    if (now >= bounds.end) {
      state.player.pauseVideo();
      card.classList.add("is-ended");
    }
  }

  function setProgress(card, ratio) {
    var bar = card.querySelector(".clip-progress-bar");
    if (bar) bar.style.transform = "scaleX(" + Math.min(1, Math.max(0, ratio)).toFixed(3) + ")";
  }

  function setActive(item) {
    if (!item || item === active) return;
    if (active) {
      active.classList.remove("is-active");
      pause(active);
    }
    active = item;
    item.classList.add("is-active");
    var list = items();
    var index = list.indexOf(item);
    var keep = list.slice(Math.max(0, index - 1), index + 2).filter(isVideoCard);
    players.forEach(function (_state, card) {
      if (keep.indexOf(card) < 0) unmount(card);
    });
    if (!keep.length) return;
    whenApiReady(function () {
      keep.forEach(function (card) {
        if (document.contains(card) && !card.classList.contains("is-collapsed")) mount(card);
      });
      if (isVideoCard(active)) play(active);
    });
  }

  /* The active item is the one covering most of the screen (at least half of it), so a card
   * taller than the screen still becomes active. */
  var observer = new IntersectionObserver(
    function (entries) {
      entries.forEach(function (entry) {
        var screen = entry.rootBounds ? entry.rootBounds.height : window.innerHeight;
        ratios.set(entry.target, entry.isIntersecting ? entry.intersectionRect.height / screen : 0);
      });
      var best = null;
      var bestCover = 0.5;
      ratios.forEach(function (cover, item) {
        if (cover > bestCover && document.contains(item)) {
          best = item;
          bestCover = cover;
        }
      });
      if (best) setActive(best);
    },
    { threshold: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] }
  );

  function observe(root) {
    var found = root.matches && root.matches(".clip, .feed-end") ? [root] : [];
    found = found.concat(Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll(".clip, .feed-end") : []));
    found.forEach(function (item) { observer.observe(item); });
  }

  /* Players and observations of cards htmx removed from the page. */
  function sweep() {
    players.forEach(function (_state, card) {
      if (!document.contains(card)) unmount(card);
    });
    ratios.forEach(function (_ratio, item) {
      if (!document.contains(item)) {
        observer.unobserve(item);
        ratios.delete(item);
      }
    });
    if (active && !document.contains(active)) active = null;
  }

  /* --- moving between cards --- */

  function current() {
    if (active && document.contains(active)) return active;
    var list = items();
    var top = feed.getBoundingClientRect().top;
    return list.find(function (item) { return item.getBoundingClientRect().bottom > Math.max(top, 0) + 1; }) || list[0];
  }

  function move(step, from) {
    var list = items();
    var index = list.indexOf(from || current());
    var target = list[Math.min(list.length - 1, Math.max(0, index + step))];
    if (!target) return;
    target.scrollIntoView({ behavior: reduceMotion.matches ? "auto" : "smooth", block: "start" });
    setActive(target);
  }

  /* A deliberate vertical swipe moves one card, however slowly the finger went: native snapping
   * alone sends a slow drag of less than half a screen back to where it started. */
  var SWIPE_MIN_PX = 48;
  var touch = null; // {item, x, y, scrollY} at the start of the gesture
  var swiped = null; // {item, step} once the finger lifts, until the scroll settles

  function landed() {
    return items().reduce(function (best, item) {
      var top = Math.abs(item.getBoundingClientRect().top);
      return !best || top < best.top ? { item: item, top: top } : best;
    }, null);
  }

  document.addEventListener("touchstart", function (event) {
    var point = event.touches[0];
    touch = event.touches.length === 1 ? { item: current(), x: point.clientX, y: point.clientY, scrollY: window.scrollY } : null;
    swiped = null;
  }, { passive: true });

  document.addEventListener("touchend", function (event) {
    var point = event.changedTouches[0];
    if (!touch || !point) return;
    var dx = point.clientX - touch.x;
    var dy = point.clientY - touch.y;
    // The page itself moved (not a panel scrolled inside a card), mostly up or down, far enough.
    var paged = window.scrollY !== touch.scrollY;
    if (paged && Math.abs(dy) >= SWIPE_MIN_PX && Math.abs(dy) > 2 * Math.abs(dx)) {
      swiped = { item: touch.item, step: dy < 0 ? 1 : -1 };
    }
    touch = null;
  }, { passive: true });

  document.addEventListener("scrollend", function (event) {
    if (event.target !== document || !swiped) return;
    var gesture = swiped;
    swiped = null;
    var at = landed();
    if (at && at.item === gesture.item && document.contains(gesture.item)) move(gesture.step, gesture.item);
  });

  function press(card, action) {
    var button = card && card.querySelector('[data-action="' + action + '"]');
    if (button) button.click();
  }

  /* "Why this clip": the rest of the card (quote, cited posts, hide channel) opens in place. */
  function toggleDetails(card) {
    var button = card && card.querySelector('[data-action="details"]');
    var more = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!more) return;
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    more.hidden = !open;
    card.classList.toggle("is-open", open);
    if (!open) {
      var body = card.querySelector(".clip-body");
      if (body) body.scrollTop = 0;
    }
  }

  feed.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest('[data-action="details"]');
    if (button) toggleDetails(button.closest(".clip"));
  });

  function toggleHelp() {
    if (!help) return;
    if (help.open) help.close();
    else help.showModal();
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (help && help.open && event.key !== "?") return;
    var card = current();
    switch (event.key) {
      case "j":
      case "ArrowDown":
        move(1);
        break;
      case "k":
      case "ArrowUp":
        move(-1);
        break;
      case " ":
        if (target && /^(BUTTON|A|SUMMARY)$/.test(target.tagName)) return;
        togglePlay(card);
        break;
      case "u":
        press(card, "up");
        break;
      case "d":
        press(card, "down");
        break;
      case "i":
        toggleDetails(card);
        break;
      case "o": {
        var link = card && card.querySelector('[data-action="open"]');
        if (link) window.open(link.href, "_blank", "noopener,noreferrer");
        break;
      }
      case "?":
        toggleHelp();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  var keysButton = document.getElementById("keys-button");
  if (keysButton) keysButton.addEventListener("click", toggleHelp);

  /* --- hidden channels: collapse the channel's other cards, bring them back on undo --- */

  function channelCards(channel, except) {
    return Array.prototype.slice.call(feed.querySelectorAll(".clip[data-channel]")).filter(function (card) {
      return card !== except && card.dataset.channel === channel;
    });
  }

  function swapped(element) {
    if (!element.classList || !element.classList.contains("clip")) return;
    var channel = element.dataset.channel;
    if (element.classList.contains("clip-hidden")) {
      channelCards(channel, element).forEach(function (card) {
        if (!card.classList.contains("clip-hidden")) {
          unmount(card);
          card.classList.add("is-collapsed");
        }
      });
    } else {
      channelCards(channel, element).forEach(function (card) { card.classList.remove("is-collapsed"); });
    }
  }

  /* --- small things: local times, thumbnails that fail offline --- */

  function localTimes(root) {
    var times = root.querySelectorAll ? root.querySelectorAll("time[data-local-time]") : [];
    Array.prototype.forEach.call(times, function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      el.textContent = when.toLocaleString([], { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    });
  }

  function markBroken(img) {
    img.classList.add("is-broken");
  }

  function checkThumbs(root) {
    var thumbs = root.querySelectorAll ? root.querySelectorAll("img.clip-thumb") : [];
    Array.prototype.forEach.call(thumbs, function (img) {
      if (img.complete && img.naturalWidth === 0 && img.currentSrc) markBroken(img);
    });
  }

  document.addEventListener("error", function (event) {
    var el = event.target;
    if (el && el.classList && el.classList.contains("clip-thumb")) markBroken(el);
  }, true);

  document.body.addEventListener("htmx:load", function (event) {
    var element = event.detail.elt;
    sweep();
    swapped(element);
    observe(element);
    localTimes(element);
    checkThumbs(element);
  });

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.classList.contains("feed-prefetch")) feed.setAttribute("aria-busy", "true");
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt.classList.contains("feed-prefetch")) feed.setAttribute("aria-busy", "false");
  });

  document.addEventListener("visibilitychange", function () {
    if (!isVideoCard(active)) return;
    var state = players.get(active);
    if (document.hidden) {
      resumeOnShow = !!(state && state.ready && state.player.getPlayerState() === STATE.PLAYING);
      pause(active);
    } else if (resumeOnShow) {
      resumeOnShow = false;
      state = players.get(active);
      if (state && state.ready) state.player.playVideo();
    }
  });

  observe(feed);
  localTimes(feed);
  checkThumbs(feed);
})();
