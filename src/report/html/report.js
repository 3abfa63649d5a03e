
// The report's only script: the overlay slider and, when served by `reprise review --serve`,
// the accept/reject buttons. It never builds markup from data: it sets textContent, classes,
// img.src (copied from the page's own images) and clip paths.
(function () {
  'use strict';

  // The images a figure draws, bottom first: one <img>, or the layers of a stack (html=DIR
  // writes a screenshot as a root image and a patch of what differs, a difference as the
  // baseline's layers under a mask).
  function layers(el) {
    if (!el) return [];
    return el.tagName === 'IMG' ? [el] : Array.prototype.slice.call(el.querySelectorAll('img'));
  }
  // Copies the sources of `from` into the blank <img>s of `to`.
  function copy(from, to) {
    to.forEach(function (img, k) {
      if (!from[k]) return;
      img.src = from[k].currentSrc || from[k].src;
      img.hidden = false;
    });
  }

  document.querySelectorAll('.overlay').forEach(function (overlay) {
    var card = overlay.closest('.cp');
    var baseline = layers(card.querySelector('.shot-baseline'));
    var actual = layers(card.querySelector('.shot-actual'));
    var base = overlay.querySelector('.overlay-base');
    var top = overlay.querySelector('.overlay-top');
    var line = overlay.querySelector('.overlay-line');
    var range = overlay.querySelector('input[type="range"]');
    if (!baseline.length || !actual.length || !base || !top || !range) return;
    copy(baseline, layers(base));
    copy(actual, layers(top));
    function apply() {
      var v = Math.max(0, Math.min(100, Number(range.value)));
      top.style.clipPath = 'inset(0 ' + (100 - v) + '% 0 0)';
      line.style.left = v + '%';
    }
    range.addEventListener('input', apply);
    apply();
    overlay.hidden = false;
  });

  // A group's representative shows the difference image of its first member's card.
  document.querySelectorAll('.group[data-representative]').forEach(function (group) {
    var card = document.getElementById(group.getAttribute('data-representative'));
    var shot = card && (card.querySelector('.shot-diff') || card.querySelector('.shot-actual'));
    var imgs = Array.prototype.slice.call(group.querySelectorAll('img.rep-img'));
    copy(layers(shot), imgs);
  });

  var token = document.body.getAttribute('data-review-token');
  if (!token) return;

  function mark(item, state) {
    item.classList.remove('accepted', 'rejected');
    item.classList.add(state);
    var label = item.querySelector('.review-state');
    if (label) {
      label.classList.remove('review-failed');
      label.textContent = state;
    }
    item.querySelectorAll('button[data-action]').forEach(function (b) { b.disabled = true; });
  }

  document.querySelectorAll('button[data-action]').forEach(function (button) {
    button.addEventListener('click', function () {
      var action = button.getAttribute('data-action');
      var item = button.closest('[data-review-item]');
      var label = item.querySelector('.review-state');
      var buttons = button.parentNode.querySelectorAll('button');
      buttons.forEach(function (b) { b.disabled = true; });
      var body = JSON.stringify(button.hasAttribute('data-group') ? {
        group: button.getAttribute('data-group')
      } : {
        session: button.getAttribute('data-session'),
        checkpoint: button.hasAttribute('data-checkpoint') ? button.getAttribute('data-checkpoint') : null
      });
      fetch('/' + encodeURIComponent(token) + '/' + action, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: body
      }).then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        var state = action === 'accept' ? 'accepted' : 'rejected';
        mark(item, state);
        if (!button.hasAttribute('data-checkpoint') && !button.hasAttribute('data-group')) {
          item.querySelectorAll('.cp[data-review-item]').forEach(function (cp) { mark(cp, state); });
        }
      }).catch(function (err) {
        buttons.forEach(function (b) { b.disabled = false; });
        if (label) {
          label.classList.add('review-failed');
          label.textContent = action + ' failed: ' + err.message;
        }
      });
    });
  });
})();
