'use strict';
/*
 * Plays an asciicast v2 recording in xterm.js: output and resize events applied with their
 * timing, play and pause, speed, seek (the terminal is reset and everything up to the target
 * time is written at once), and pauses longer than the idle limit shortened to it.
 */
class WritPlayer {

  /** The header and events of an asciicast v2 text; a last line cut short (a truncated recording) is dropped. */
  static parse(text) {
    const lines = text.split('\n');
    const header = JSON.parse(lines[0]);
    if (header.version !== 2) {
      throw new Error('not an asciicast v2 recording');
    }
    const events = [];
    for (let i = 1; i < lines.length; i++) {
      if (lines[i].trim() === '') {
        continue;
      }
      try {
        const [time, code, data] = JSON.parse(lines[i]);
        events.push({ time, code, data });
      } catch (cutShort) {
        break;
      }
    }
    return { header, events };
  }

  constructor(container, cast, { idleLimit = 2, onTime = () => {} } = {}) {
    this.header = cast.header;
    this.events = cast.events;
    this.duration = this.events.length ? this.events[this.events.length - 1].time : 0;
    this.idleLimit = idleLimit;
    this.onTime = onTime;
    this.speed = 1;
    this.time = 0;
    this.index = 0;
    this.playing = false;
    this.timer = null;
    this.term = new Terminal({
      cols: this.header.width, rows: this.header.height, disableStdin: true, cursorBlink: false,
      scrollback: 10000, fontSize: 14, fontFamily: 'DejaVu Sans Mono, Menlo, Consolas, monospace',
    });
    this.term.open(container);
  }

  play() {
    if (this.playing) {
      return;
    }
    if (this.index >= this.events.length) {
      this.seek(0);
    }
    this.playing = true;
    this.last = performance.now();
    this.tick();
  }

  pause() {
    this.playing = false;
    clearTimeout(this.timer);
    this.onTime(this.time);
  }

  setSpeed(speed) {
    this.speed = speed;
  }

  /** Shows the terminal as it was at {@code target} seconds; resolves once xterm.js has drawn it. */
  seek(target) {
    this.term.reset();
    const size = this.header;
    this.term.resize(size.width, size.height);
    this.index = 0;
    this.time = Math.max(0, Math.min(target, this.duration));
    this.apply(this.time);
    this.onTime(this.time);
    return this.written();
  }

  /**
   * Shows the terminal at a search hit's time: the index keeps a line's time rounded to the
   * millisecond, so every event that rounds to {@code offset}'s millisecond or earlier is on
   * screen (an output at 4.688459 s belongs to a hit at 4.688 s).
   */
  seekHit(offset) {
    const ms = Math.round(offset * 1000);
    let target = offset;
    for (const event of this.events) {
      if (Math.round(event.time * 1000) > ms) {
        break;
      }
      target = Math.max(target, event.time);
    }
    return this.seek(target);
  }

  /** Resolves when every write so far is on screen. */
  written() {
    return new Promise(resolve => this.term.write('', resolve));
  }

  /** The visible screen as text, one line per row: what a reviewer sees now. */
  screenText() {
    const buffer = this.term.buffer.active;
    const rows = [];
    for (let y = buffer.viewportY; y < buffer.viewportY + this.term.rows; y++) {
      const line = buffer.getLine(y);
      rows.push(line ? line.translateToString(true) : '');
    }
    return rows.join('\n');
  }

  tick() {
    if (!this.playing) {
      return;
    }
    const now = performance.now();
    let time = this.time + (now - this.last) / 1000 * this.speed;
    this.last = now;
    const next = this.events[this.index];
    if (next && next.time - this.time > this.idleLimit) {
      time = Math.max(time, next.time - this.idleLimit); // skip the rest of a long pause
    }
    this.time = Math.min(time, this.duration);
    this.apply(this.time);
    this.onTime(this.time);
    if (this.index >= this.events.length) {
      this.pause();
      return;
    }
    this.timer = setTimeout(() => this.tick(), 30);
  }

  /** Applies the events up to {@code time}: output written in one batch, resizes in order. */
  apply(time) {
    let batch = '';
    while (this.index < this.events.length && this.events[this.index].time <= time) {
      const event = this.events[this.index++];
      if (event.code === 'o') {
        batch += event.data;
      } else if (event.code === 'r') {
        const [cols, rows] = event.data.split('x').map(Number);
        if (cols > 0 && rows > 0) {
          this.term.write(batch);
          batch = '';
          this.term.resize(cols, rows);
        }
      }
    }
    if (batch) {
      this.term.write(batch);
    }
  }
}
