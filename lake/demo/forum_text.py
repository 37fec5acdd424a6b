"""Forum post templates in English, Spanish and French.

Kinds: ``urgent`` (help needed now), ``question`` (about the module's content), ``social``.
``{topic}`` is filled with the module title and ``{page}`` with a page title. Replies come from
classmates (``reply``) or the teacher (``teacher``).
"""

from __future__ import annotations

# language -> kind -> (title, body) templates
THREADS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "en": {
        "urgent": (
            (
                "Can't submit my assignment",
                "I can't submit my assignment and it's due tonight. The upload button just "
                "spins and then says error 500. What should I do??",
            ),
            (
                "Quiz locked me out",
                "The {topic} quiz closed after two questions and now says I have no attempts "
                "left. Please help, it counts for my grade!",
            ),
            (
                "Urgent: missing grade",
                "My grade for {topic} shows zero but I definitely submitted it on time. Can "
                "someone check before the report cards go out tomorrow?",
            ),
            (
                "Lost all my work",
                "My laptop crashed and I lost the essay I was writing for {topic}. It's due in "
                "two hours. Is there any way to get an extension?",
            ),
        ),
        "question": (
            (
                "Question about {topic}",
                'In the page "{page}" I don\'t understand the second example. Why do we do that '
                "step first? Could someone explain it another way?",
            ),
            (
                "Confused by {topic}",
                "I keep getting the practice questions on {topic} wrong. Is there a trick to "
                "remembering the rule, or a video that explains it more slowly?",
            ),
            (
                "Is this right?",
                "For {topic}, I think the answer to question 3 is the second option because of "
                'what "{page}" says. Can anyone confirm?',
            ),
            (
                "Difference between two ideas",
                'What is the actual difference between the two main ideas in "{page}"? They '
                "sound the same to me.",
            ),
        ),
        "social": (
            (
                "Study group this weekend?",
                "Anyone want to meet at the library on Saturday to go over {topic}? I'll bring "
                "snacks.",
            ),
            (
                "Good luck everyone",
                "Good luck on the {topic} quiz tomorrow everyone! We got this.",
            ),
            (
                "Thanks for the notes",
                "Huge thanks to whoever shared their notes on {topic}, they really helped.",
            ),
        ),
        "reply": (
            "I had the same problem, try clearing your browser cache and logging in again.",
            "I think it's because you have to undo the last operation first. That's what the "
            'example in "{page}" shows.',
            "Same here, I'm confused too.",
            "The video for this module explains it really well, watch from the middle.",
            "I'm in! What time?",
            "Thanks, this helped a lot.",
        ),
        "teacher": (
            "Thanks for flagging this. I've reset your attempt; please try again and email me if "
            "it still fails.",
            'Good question! Re-read the worked example in "{page}" and notice the order of the '
            "steps. We will go over this in class tomorrow.",
            "I've given you a 24-hour extension. Please submit as soon as you can.",
            "Yes, that's correct. Well reasoned.",
            'Not quite: check the definition again in "{page}" and try once more.',
        ),
    },
    "es": {
        "urgent": (
            (
                "No puedo entregar la tarea",
                "No puedo subir mi tarea y la entrega es esta noche. Me sale un error cada vez "
                "que lo intento. ¿Qué hago?",
            ),
            (
                "Urgente: el cuestionario se cerró",
                "El cuestionario de {topic} se cerró solo y ya no me deja intentarlo otra vez. "
                "¡Por favor, ayuda!",
            ),
            (
                "Nota equivocada",
                "Mi nota de {topic} aparece como cero pero sí lo entregué a tiempo. ¿Alguien "
                "puede revisarlo antes de mañana?",
            ),
        ),
        "question": (
            (
                "Duda sobre {topic}",
                'En la página "{page}" no entiendo el segundo ejemplo. ¿Por qué se hace ese '
                "paso primero?",
            ),
            (
                "¿Alguien me explica {topic}?",
                "Sigo fallando los ejercicios de {topic}. ¿Hay algún truco para acordarse de la "
                "regla?",
            ),
            (
                "¿Está bien mi respuesta?",
                "Creo que la respuesta de la pregunta 2 es la tercera opción por lo que dice "
                '"{page}". ¿Alguien lo confirma?',
            ),
        ),
        "social": (
            (
                "¿Grupo de estudio?",
                "¿Quién quiere quedar el sábado en la biblioteca para repasar {topic}?",
            ),
            (
                "¡Suerte a todos!",
                "¡Mucha suerte mañana con el cuestionario de {topic}! Ánimo.",
            ),
        ),
        "reply": (
            "A mí me pasó lo mismo, prueba a cerrar sesión y volver a entrar.",
            "Yo tampoco lo entiendo, a ver si la profe lo explica.",
            "El vídeo del módulo lo explica muy bien.",
            "¡Yo me apunto!",
            "Gracias, me ha servido mucho.",
        ),
        "teacher": (
            "Gracias por avisar. Ya he reiniciado tu intento; vuelve a probar.",
            '¡Buena pregunta! Repasa el ejemplo de "{page}" y fíjate en el orden de los pasos.',
            "Te doy 24 horas más de plazo. Entrégalo en cuanto puedas.",
            "Sí, es correcto. Bien razonado.",
        ),
    },
    "fr": {
        "urgent": (
            (
                "Impossible de rendre mon devoir",
                "Je n'arrive pas à déposer mon devoir et c'est pour ce soir. Le site affiche une "
                "erreur à chaque fois. Que dois-je faire ?",
            ),
            (
                "Urgent : quiz bloqué",
                "Le quiz sur {topic} s'est fermé tout seul et je n'ai plus d'essai. Aidez-moi "
                "s'il vous plaît !",
            ),
            (
                "Note manquante",
                "Ma note pour {topic} est à zéro alors que j'ai bien rendu le travail à temps. "
                "Quelqu'un peut vérifier avant demain ?",
            ),
        ),
        "question": (
            (
                "Question sur {topic}",
                "Dans la page « {page} », je ne comprends pas le deuxième exemple. Pourquoi "
                "fait-on cette étape en premier ?",
            ),
            (
                "Je bloque sur {topic}",
                "Je me trompe toujours sur les exercices de {topic}. Il y a une astuce pour "
                "retenir la règle ?",
            ),
            (
                "Est-ce que c'est juste ?",
                "Pour la question 4, je pense que c'est la première réponse d'après « {page} ». "
                "Quelqu'un peut confirmer ?",
            ),
        ),
        "social": (
            (
                "Révisions ensemble ?",
                "Qui veut réviser {topic} à la médiathèque samedi après-midi ?",
            ),
            (
                "Bon courage !",
                "Bon courage à tous pour le quiz de demain sur {topic} !",
            ),
        ),
        "reply": (
            "J'ai eu le même problème, essaie de vider le cache du navigateur.",
            "Moi non plus je ne comprends pas, on demandera en classe.",
            "La vidéo du module explique très bien ce passage.",
            "Je viens aussi !",
            "Merci, ça m'aide beaucoup.",
        ),
        "teacher": (
            "Merci de l'avoir signalé. J'ai réinitialisé ton essai, tu peux recommencer.",
            "Bonne question ! Relis l'exemple de « {page} » et regarde l'ordre des étapes.",
            "Je t'accorde un délai de 24 heures. Rends-le dès que possible.",
            "Oui, c'est exact. Bien raisonné.",
        ),
    },
}

LANGUAGE_WEIGHTS: dict[str, float] = {"en": 0.7, "es": 0.18, "fr": 0.12}
KIND_WEIGHTS: dict[str, float] = {"urgent": 0.12, "question": 0.55, "social": 0.33}
