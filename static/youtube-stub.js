/* A local stand-in for YouTube's IFrame Player API, served instead of it when the
 * OPENREC_YOUTUBE_PLAYER_STUB setting is on (browser tests run with no network).
 * Every call is recorded in window.__ytCalls; onReady and onStateChange fire as the
 * real player fires them, and time runs while "playing" (window.__ytSpeed times faster
 * when a test sets it).
 */
(function () {
  "use strict";

  var calls = (window.__ytCalls = window.__ytCalls || []);
  var PlayerState = { UNSTARTED: -1, ENDED: 0, PLAYING: 1, PAUSED: 2, BUFFERING: 3, CUED: 5 };

  function Player(target, options) {
    var element = typeof target === "string" ? document.getElementById(target) : target;
    this.options = options || {};
    this.vars = this.options.playerVars || {};
    this.state = PlayerState.CUED;
    this.position = Number(this.vars.start) || 0;
    this.since = 0;
    this.muted = false;
    this.frame = document.createElement("div");
    this.frame.className = "yt-stub";
    this.frame.setAttribute("data-video-id", this.options.videoId || "");
    this.frame.textContent = "Player stub · " + (this.options.videoId || "");
    element.replaceWith(this.frame);
    calls.push({
      call: "new",
      videoId: this.options.videoId,
      host: this.options.host,
      playerVars: Object.assign({}, this.vars),
    });
    var self = this;
    window.setTimeout(function () { self.fire("onReady", { target: self }); }, 0);
  }

  Player.prototype.fire = function (name, event) {
    var handler = this.options.events && this.options.events[name];
    if (typeof handler === "function") handler(event);
  };

  Player.prototype.record = function (call, args) {
    calls.push({ call: call, videoId: this.options.videoId, args: args || [] });
  };

  Player.prototype.setState = function (state) {
    this.state = state;
    this.fire("onStateChange", { target: this, data: state });
  };

  Player.prototype.mute = function () { this.record("mute"); this.muted = true; };
  Player.prototype.unMute = function () { this.record("unMute"); this.muted = false; };
  Player.prototype.isMuted = function () { return this.muted; };

  Player.prototype.playVideo = function () {
    this.record("playVideo");
    this.since = Date.now();
    this.setState(PlayerState.PLAYING);
  };

  Player.prototype.pauseVideo = function () {
    this.record("pauseVideo");
    this.position = this.getCurrentTime();
    if (this.state === PlayerState.PLAYING) this.setState(PlayerState.PAUSED);
  };

  Player.prototype.seekTo = function (seconds, allowSeekAhead) {
    this.record("seekTo", [seconds, allowSeekAhead]);
    this.position = Number(seconds) || 0;
    this.since = Date.now();
  };

  Player.prototype.getCurrentTime = function () {
    if (this.state !== PlayerState.PLAYING) return this.position;
    var now = this.position + ((Date.now() - this.since) / 1000) * (window.__ytSpeed || 1);
    var end = Number(this.vars.end);
    if (end && now >= end) {
      this.position = end;
      this.setState(PlayerState.ENDED);
      return end;
    }
    return now;
  };

  Player.prototype.getPlayerState = function () { return this.state; };

  Player.prototype.destroy = function () {
    this.record("destroy");
    this.frame.remove();
  };

  window.YT = { Player: Player, PlayerState: PlayerState, loaded: 1 };
  window.setTimeout(function () {
    if (typeof window.onYouTubeIframeAPIReady === "function") window.onYouTubeIframeAPIReady();
  }, 0);
})();
